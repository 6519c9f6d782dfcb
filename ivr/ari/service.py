"""Wires the ARI client, the events websocket and the call dispatcher together."""

from __future__ import annotations

from ivr.ari.client import AriClient
from ivr.ari.connection import AriConnection
from ivr.ari.dispatcher import CallDispatcher, CallHandler, LostHook
from ivr.config import AriSettings
from ivr.link_state import LinkStatePublisher


class AriService:
    """``async with AriService(settings, handler) as ari:`` runs calls until closed."""

    def __init__(self, settings: AriSettings, handler: CallHandler, *, on_lost: LostHook | None = None,
                 initial_backoff: float = 0.5, heartbeat: float = 10.0) -> None:
        self.client = AriClient(settings)
        self.dispatcher = CallDispatcher(self.client, handler, on_lost=on_lost)
        self.connection = AriConnection(self.client, self.dispatcher.handle_event,
                                        on_connected=self.dispatcher.reconcile,
                                        initial_backoff=initial_backoff, heartbeat=heartbeat)

    @property
    def state(self) -> LinkStatePublisher:
        return self.connection.state

    async def start(self) -> None:
        await self.client.start()
        await self.connection.start()

    async def stop(self) -> None:
        await self.connection.stop()
        await self.dispatcher.close()
        await self.client.close()

    async def __aenter__(self) -> AriService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
