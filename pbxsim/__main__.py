import sys

from pbxsim.cli import main

sys.exit(main())
