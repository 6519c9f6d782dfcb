""""Call back" from a card over AMI."""

from __future__ import annotations

import structlog

from cti.telephony.nodes import OwnedAmi
from ivr.ami import AmiClient

log = structlog.get_logger(__name__)


class AmiCallback:
    """"Call back" from a card: ring the dispatcher's phone, then the resident (AMI Originate,
    never awaited on the path that reads events)."""

    def __init__(self, ami: AmiClient | OwnedAmi, *, context: str = "callback",
                 endpoint: str = "Local/{ext}@dispatchers") -> None:
        self.ami = ami
        self.context = context
        self.endpoint = endpoint  # the dispatcher's phone, as the voice menu rings it

    async def __call__(self, dispatcher_extension: str, resident_number: str) -> None:
        handle = self.ami.originate(self.endpoint.format(ext=dispatcher_extension), context=self.context,
                                    exten=resident_number,
                                    caller_id=f'"АДС" <{resident_number}>', timeout_ms=30000)
        log.info("console.callback_originated", extension=dispatcher_extension, action_id=handle.action_id)
