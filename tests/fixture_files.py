"""The recorded files the tests read. All of them live in the repository, under tests/fixtures/
(see its README for where each came from), so a clone alone runs the suite."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
# What a real Asterisk 20.20.1 said: one JSON object a line (ARI events and REST calls, AMI events).
TRACES = FIXTURES / "asterisk" / "traces"
# The ARI resource listings (Swagger 1.2) of the same Asterisk: every REST path and event model.
ARI_SPEC_DIR = FIXTURES / "asterisk" / "ari-api-docs"
# The recording Asterisk made in resident-dtmf-record.jsonl: 8.9 s of Russian speech, 8 kHz mono.
SPEECH_WAV = TRACES / "resident-dtmf-record.recording.wav"
# What residents say after the beep, with what a dispatcher would file.
LABELLED_TRANSCRIPTS = FIXTURES / "transcripts" / "labelled.jsonl"
