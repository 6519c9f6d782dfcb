"""AMI framing that survives a broken peer: panoramisk 1.4's protocol with our own framing.

panoramisk decodes each TCP read on its own, so a UTF-8 character split between two reads is
dropped (Cyrillic caller names lose letters); it drops frames it cannot parse and responses nobody
waits for without a word; one bad frame (a repeated ``Event:`` header) raises out of
``data_received`` and asyncio closes the connection with the rest of the read; and a frame that
never ends is buffered without limit. Its message parsing and action bookkeeping are kept.
"""

from __future__ import annotations

import codecs
from typing import Any

import structlog
from panoramisk.ami_protocol import AMIProtocol  # type: ignore[import-untyped]
from panoramisk.message import Message  # type: ignore[import-untyped]

log = structlog.get_logger(__name__)

EOL = "\r\n"
BANNER = "Asterisk Call Manager/"
# Asterisk's largest frames (Command output, long variable values) are far below this.
MAX_FRAME_CHARS = 1024 * 1024
# Responses whose last lines are a body, not headers (old-style Command output).
BODY_RESPONSES = ("Response: Follows", "Response: Fail")


def _excerpt(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} chars)"


class SessionProtocol(AMIProtocol):  # type: ignore[misc]  # panoramisk ships no type hints
    version: str | None

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._buffer = ""

    def data_received(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        if "\ufffd" in text:
            log.warning("ami.bad_bytes", excerpt=_excerpt(text))
        self._buffer += text
        if self.version is None and EOL in self._buffer:
            # The banner is a line of its own before the first frame.
            first, _, rest = self._buffer.partition(EOL)
            if first.startswith(BANNER):
                self.version, self._buffer = first[len(BANNER):], rest
            else:
                self.version = ""
        *frames, self._buffer = self._buffer.split(EOL + EOL)
        for frame in frames:
            self._frame(frame.strip())
        if len(self._buffer) > MAX_FRAME_CHARS:
            # Not a peer we can follow any more: drop the session, the client connects again.
            log.warning("ami.frame_too_large", chars=len(self._buffer), excerpt=_excerpt(self._buffer))
            self._buffer = ""
            self.transport.close()

    def _frame(self, frame: str) -> None:
        if not frame:
            return  # blank lines between frames carry nothing
        message = Message.from_line(frame)
        if message is None:
            log.warning("ami.frame_dropped", reason="neither Event nor Response", frame=_excerpt(frame))
            return
        if not frame.startswith(BODY_RESPONSES):
            stray = [line for line in frame.split(EOL) if ":" not in line]
            if stray:
                log.warning("ami.lines_ignored", lines=len(stray), frame=_excerpt(frame))
        try:
            self.handle_message(message)
        except Exception:
            log.exception("ami.frame_failed", frame=_excerpt(frame))

    def handle_message(self, message: Any) -> None:
        if "event" not in message and not self._awaited(message):
            # No action of this session has that id (a timed-out one is still listed): a confused peer.
            log.warning("ami.response_unmatched", action_id=message.action_id, response=message.get("response"))
            return
        super().handle_message(message)

    def _awaited(self, message: Any) -> bool:
        return message.id in self.responses or (message.action_id is not None and message.action_id in self.responses)
