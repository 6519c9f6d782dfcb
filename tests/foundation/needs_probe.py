"""Not collected by the suite (no test_ prefix): tests/foundation/test_test_setup.py runs it in a
pytest of its own to see what a test needing a missing program reports."""

from tests.tools import needs_programs


@needs_programs("hotline-no-such-program")
def test_needs_a_program_no_machine_has() -> None:
    raise AssertionError("ran although its program is missing")
