"""AMI (Asterisk Manager Interface) client through panoramisk 1.4, and the AMI call tracker."""

from ivr.ami.client import AmiClient, AmiListener, OriginateHandle
from ivr.ami.errors import AmiActionError, AmiAuthError, AmiError, AmiNotConnected, AmiTimeout
from ivr.ami.events import AmiEvent, OriginateResult
from ivr.ami.tracker import CallTracker, ExtensionCall, TrackerSync

__all__ = [
    "AmiActionError", "AmiAuthError", "AmiClient", "AmiError", "AmiEvent", "AmiListener", "AmiNotConnected",
    "AmiTimeout", "CallTracker", "ExtensionCall", "OriginateHandle", "OriginateResult",
    "TrackerSync",
]
