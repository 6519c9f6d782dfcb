"""Where the simulated PBX's events go: ARI websockets per app and logged-in AMI sessions.

Every event is also kept in ``ari_log`` / ``ami_log`` so tests can compare them with traces.
Events for an app with no websocket are dropped, as Asterisk does.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pbxsim.model import ASTERISK_ID, SimChannel, ari_timestamp


class AmiSink(Protocol):
    def send_event(self, fields: dict[str, str]) -> None: ...


@dataclass
class RestRecord:
    method: str
    path: str
    params: dict[str, str]
    status: int
    at: float = field(default_factory=time.monotonic)


class EventHub:
    def __init__(self) -> None:
        self.ari_queues: dict[str, set[asyncio.Queue[str | None]]] = {}
        self.ami_sessions: set[AmiSink] = set()
        self.ari_log: list[dict[str, Any]] = []
        self.ami_log: list[dict[str, str]] = []
        self.rest_log: list[RestRecord] = []
        self.keep_logs = True

    # -- ARI -----------------------------------------------------------------------------

    def subscribe(self, apps: Iterable[str]) -> asyncio.Queue[str | None]:
        queue: asyncio.Queue[str | None] = asyncio.Queue()
        for app in apps:
            self.ari_queues.setdefault(app, set()).add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[str | None]) -> None:
        for queues in self.ari_queues.values():
            queues.discard(queue)

    def app_connected(self, app: str) -> bool:
        return bool(self.ari_queues.get(app))

    def ari(self, type_: str, apps: Iterable[str], **fields: Any) -> None:
        for app in sorted(set(apps)):
            event = {**fields, "type": type_, "timestamp": ari_timestamp(), "asterisk_id": ASTERISK_ID,
                     "application": app}
            if self.keep_logs:
                self.ari_log.append(event)
            text = json.dumps(event)
            for queue in self.ari_queues.get(app, ()):
                queue.put_nowait(text)

    def channel_event(self, type_: str, channel: SimChannel, **fields: Any) -> None:
        """An event about ``channel`` to the apps it is subscribed to (channel key last, as Asterisk)."""
        if channel.apps:
            self.ari(type_, channel.apps, **fields, channel=channel.to_ari())

    def drop_websockets(self) -> None:
        for queues in self.ari_queues.values():
            for queue in queues:
                queue.put_nowait(None)  # the websocket handler closes on None
        self.ari_queues.clear()

    # -- AMI -----------------------------------------------------------------------------

    def ami(self, event: str, privilege: str = "call,all", **fields: str) -> None:
        data = {"Event": event, "Privilege": privilege, **fields}
        if self.keep_logs:
            self.ami_log.append(data)
        for session in list(self.ami_sessions):
            session.send_event(data)

    def ami_channel(self, event: str, channel: SimChannel, privilege: str = "call,all", **extra: str) -> None:
        self.ami(event, privilege, **channel.ami_fields(), **extra)
