"""Test calls and the training mode for new dispatchers: scripted calls through the stand-in
and the real voice menu, and scored training runs. (The training line, ``cti.training.line``, is imported by the
composition root only: it depends on the console's telephony adapters.)"""

from cti.training.calls import CallPlacer, CallRequest, NoCalls, NoStandIn, StandInCalls
from cti.training.scenarios import DEADLINES, Scenario, load_library
from cti.training.service import TestCalls, Trainee, TrainingConflict, TrainingService
from ivr.voice import VoiceError

__all__ = [
    "DEADLINES", "CallPlacer", "CallRequest", "NoCalls", "NoStandIn", "Scenario", "StandInCalls", "TestCalls",
    "Trainee", "TrainingConflict", "TrainingService", "VoiceError", "load_library",
]
