"""Asterisk stand-in for tests, demos and benchmarks. The product (journal, ivr) never imports it."""

from pbxsim.calls import CallHandle, CallScript, KeyPress
from pbxsim.config import Extension, SimConfig
from pbxsim.media import Speech
from pbxsim.sim import PbxSim

__all__ = ["CallHandle", "CallScript", "Extension", "KeyPress", "PbxSim", "SimConfig", "Speech"]
