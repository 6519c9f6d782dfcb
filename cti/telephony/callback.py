""""Call back" from a card over AMI."""

from __future__ import annotations

import structlog

from cti.telephony.nodes import AnyNodeAri, NoNodeOwned, OwnedAmi
from ivr.ami import AmiClient

log = structlog.get_logger(__name__)


class AmiCallback:
    """"Call back" from a card: ring the dispatcher's phone, then the resident (AMI Originate,
    never awaited on the path that reads events). An instance that runs no node now goes
    through the ARI REST interface of any listed node instead (``any_node``)."""

    def __init__(self, ami: AmiClient | OwnedAmi, *, context: str = "callback",
                 endpoint: str = "Local/{ext}@dispatchers", any_node: AnyNodeAri | None = None,
                 ring_seconds: int = 30) -> None:
        self.ami = ami
        self.context = context
        self.endpoint = endpoint  # the dispatcher's phone, as the voice menu rings it
        self.any_node = any_node
        self.ring_seconds = ring_seconds

    async def __call__(self, dispatcher_extension: str, resident_number: str) -> None:
        endpoint, caller_id = self.endpoint.format(ext=dispatcher_extension), f'"АДС" <{resident_number}>'
        try:
            handle = self.ami.originate(endpoint, context=self.context, exten=resident_number, caller_id=caller_id,
                                        timeout_ms=self.ring_seconds * 1000)
        except NoNodeOwned:
            if self.any_node is None:
                raise
            node = await self.any_node.originate(endpoint, context=self.context, exten=resident_number,
                                                 caller_id=caller_id, ring_seconds=self.ring_seconds)
            log.info("console.callback_originated", extension=dispatcher_extension, via="ari", node=node)
            return
        log.info("console.callback_originated", extension=dispatcher_extension, action_id=handle.action_id)
