"""ConsoleHub: the fan-out of console messages (built by notifier.py, typed in messages.py).

Every message gets a hub-wide increasing ``id`` and goes to one or more *mailboxes*
(``ext:101``, ``user:7``, ``role:dispatcher``, ``all``). A connected console subscribes to the
mailboxes of its session; each mailbox keeps a bounded ring of recent messages so a console that
reconnects with ``?last_id=N`` gets exactly what it missed. Publishing never awaits: a message is
serialised once and offered to each client's bounded queue; a client whose queue is full is
dropped (its own sender task is the only thing that waits on its socket), so a slow browser
never delays the others.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import structlog

from cti.console.messages import CallState, ConsoleMessage, Hello, PbxState, Resync, ScreenPop, TicketRegistered
from journal import Role

log = structlog.get_logger(__name__)

# Dispatcher broadcasts also reach administrators (they supervise the shift).
DISPATCHERS: tuple[str, ...] = ("role:dispatcher", "role:admin")
STAFF: tuple[str, ...] = ("role:dispatcher", "role:admin", "role:qa")
ALL = "all"
# Roles whose console shows call cards (the /console page). An executor's extension is a field
# phone: a card addressed to it is not for their browser.
CARD_ROLES = frozenset({Role.DISPATCHER, Role.ADMIN})


class Socket(Protocol):
    """What the hub needs of a websocket (aiohttp's WebSocketResponse fits)."""

    async def send_str(self, data: str, compress: int | None = None) -> None: ...

    async def close(self, *, code: int = ..., message: bytes = b"", drain: bool = True) -> bool: ...


@dataclass(frozen=True)
class Subscriber:
    user_id: int
    role: str
    extension: str | None

    @property
    def mailboxes(self) -> frozenset[str]:
        boxes = {f"user:{self.user_id}", f"role:{self.role}", ALL}
        if self.extension and self.role in CARD_ROLES:
            boxes.add(f"ext:{self.extension}")
        return frozenset(boxes)


@dataclass(eq=False)
class Client:
    socket: Socket
    who: Subscriber
    queue: asyncio.Queue[str]
    sender: asyncio.Task[None] | None = None
    dropped: bool = False
    after: int = 0  # live messages up to this id were had already (a replay from another instance)
    mailboxes: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        self.mailboxes = self.who.mailboxes


@dataclass(frozen=True)
class Sent:
    id: int
    text: str  # serialised once, shared by every recipient
    at: float  # time.monotonic() at publish, for latency measurements


def _audience(to: str | Iterable[str]) -> frozenset[str]:
    names = [to] if isinstance(to, str) else list(to)
    out: set[str] = set()
    for name in names:
        if name == "dispatchers":
            out.update(DISPATCHERS)
        elif name == "staff":
            out.update(STAFF)
        else:
            out.add(name)
    return frozenset(out)


class ConsoleHub:
    """Fan-out of console events. All methods but :meth:`close_all` are synchronous and never block.

    ``queue_size`` bounds what one client may have outstanding; it also bounds a burst published
    without yielding to the event loop (senders run only when the publisher yields).
    """

    # True: messages published inside a journal write transaction commit with it (the outbox).
    transactional = False

    def __init__(self, *, buffer_size: int = 200, queue_size: int = 256) -> None:
        # Message ids start again at 1 in every process: a console carries the epoch of the ids
        # it has, so that one reconnecting after a restart is not taken to have seen the new ones.
        self.epoch = secrets.token_hex(8)
        self._last_id = 0
        self._buffer_size = buffer_size
        self._queue_size = queue_size
        self._boxes: dict[str, deque[Sent]] = {}
        self._clients: set[Client] = set()
        self._pbx: dict[str | None, bool] = {}  # node -> its link is up (None: a node not named)
        self._calls: dict[str, dict[str, Any]] = {}
        self._cards: dict[str, tuple[dict[str, Any], frozenset[str]]] = {}  # call id -> (card, mailboxes)
        self._closing: set[asyncio.Task[None]] = set()

    # -- what the notifier calls (notifier.py: the one way to the consoles) -----------------
    def publish(self, message: ConsoleMessage, to: str | Iterable[str] = ALL) -> int:
        """Send ``{"id", "type", **message.body()}`` to an audience: a mailbox name,
        ``"dispatchers"``, ``"staff"`` or several of these. Returns the message id.

        The hub remembers what a console opened later must show: the calls in progress, the
        cards of those calls and the PBX link, until the call ends."""
        body = {**message.body(), "id": self._last_id + 1, "type": message.TYPE}
        return self.deliver(body["id"], message.TYPE, body, _audience(to),
                            json.dumps(body, ensure_ascii=False, default=str))

    def deliver(self, message_id: int, kind: str, body: dict[str, Any], boxes: frozenset[str], text: str) -> int:
        """Hand a numbered message to the rings and the consoles (ids increasing; outbox_bus.py
        delivers the outbox's rows here)."""
        self._last_id = message_id
        sent = Sent(message_id, text, time.monotonic())
        self._remember(kind, body, boxes)
        for name in boxes:
            ring = self._boxes.get(name)
            if ring is None:
                ring = self._boxes[name] = deque(maxlen=self._buffer_size)
            ring.append(sent)
        for client in list(self._clients):
            if client.mailboxes & boxes and message_id > client.after:
                self._offer(client, sent.text)
        return sent.id

    def _remember(self, kind: str, body: dict[str, Any], boxes: frozenset[str]) -> None:
        if kind == PbxState.TYPE:
            self._pbx[body.get("node")] = bool(body["connected"])
        elif kind == CallState.TYPE:
            if not boxes.issuperset(DISPATCHERS):
                return  # a call shown to one console only (training) is not the shift's
            call_id = body["call_id"]
            if body["state"] == "ended":
                self._calls.pop(call_id, None)
                self._cards.pop(call_id, None)
            else:
                known = self._calls.get(call_id, {})
                self._calls[call_id] = {**known, **{k: v for k, v in body.items() if v is not None}}
        elif kind == ScreenPop.TYPE:
            call_id = body.get("call_id")
            if isinstance(call_id, str) and (call_id in self._calls or call_id in self._cards):
                known_card, known_boxes = self._cards.get(call_id, ({}, frozenset()))
                card = {**known_card, **{k: v for k, v in body.items() if v is not None}}
                self._cards[call_id] = (card, known_boxes | boxes)
        elif kind == TicketRegistered.TYPE and body.get("call_id") in self._calls:
            self._calls[body["call_id"]]["ticket_id"] = body["ticket_id"]
            self._calls[body["call_id"]]["ticket_number"] = body["ticket_number"]

    # -- what the websocket handler calls ------------------------------------------------------
    def hello(self, who: Subscriber | None = None) -> dict[str, Any]:
        """The first message on a connection (id 0: outside the numbered sequence). The calls in
        progress go to those who get ``call_state`` (all of them when ``who`` is None)."""
        calls = list(self._calls.values()) if who is None or not who.mailboxes.isdisjoint(DISPATCHERS) else []
        cards = [card for card, boxes in self._cards.values() if who is None or not who.mailboxes.isdisjoint(boxes)]
        hello = Hello(self.epoch, self._last_id, self.pbx_connected, calls, cards, self.pbx_nodes)
        return {**hello.body(), "id": 0, "type": hello.TYPE}

    async def backlog(self, last_id: int | None, epoch: str | None) -> Any:
        """What :meth:`attach` needs read beforehand to replay (nothing here: the rings have it;
        the outbox hub reads the outbox)."""
        return None

    def attach(self, socket: Socket, who: Subscriber, last_id: int | None, epoch: str | None = None,
               backlog: Any = None) -> Client:
        """Register a client and queue what it missed since ``last_id`` (of ``epoch``).

        Replay and registration happen without an ``await`` in between, so no message can be
        both replayed and delivered live, and none can fall between the two."""
        client = Client(socket, who, asyncio.Queue(self._queue_size))
        self._offer(client, json.dumps(self.hello(who), ensure_ascii=False))
        if last_id is not None:
            # Ids of another process: replay all this one kept, and have the console reload what
            # it shows (what happened between the two processes is not in any ring).
            restarted = (epoch is not None and epoch != self.epoch) or last_id > self._last_id
            texts, gap = self._missed(client, 0 if restarted else last_id)
            if gap or restarted:
                texts.insert(0, json.dumps({"id": 0, "type": Resync.TYPE}))
            for text in texts:
                if not self._offer(client, text):
                    break
        if not client.dropped:
            self._clients.add(client)
            client.sender = asyncio.create_task(self._send_loop(client), name=f"ws-sender-{who.user_id}")
        return client

    def detach(self, client: Client) -> None:
        self._clients.discard(client)
        if client.sender is not None and client.sender is not asyncio.current_task():
            client.sender.cancel()

    async def close_all(self) -> None:
        """On shutdown: close every console (1001 going away); they reconnect to the next process."""
        for client in list(self._clients):
            self.detach(client)
            await client.socket.close(code=1001, message=b"server shutdown")

    async def close_user(self, user_id: int, *, code: int = 4401, message: bytes = b"session ended") -> int:
        """Close every console of one user (their sessions were ended); how many were open."""
        mine = [c for c in self._clients if c.who.user_id == user_id]
        for client in mine:
            self.detach(client)
            await client.socket.close(code=code, message=message)
        return len(mine)

    def user_client_count(self, user_id: int) -> int:
        return sum(1 for c in self._clients if c.who.user_id == user_id)

    def online_extensions(self) -> set[str]:
        """Extensions of dispatchers with a console open: who is on shift right now."""
        return {c.who.extension for c in self._clients if c.who.extension and c.who.role == Role.DISPATCHER}

    @property
    def pbx_connected(self) -> bool | None:
        """Calls can reach the consoles: a node's link is up (None until one has reported)."""
        return any(self._pbx.values()) if self._pbx else None

    @property
    def pbx_nodes(self) -> dict[str, bool]:
        """Each named node's link, as the instance that runs it last said."""
        return dict(sorted((node, up) for node, up in self._pbx.items() if node is not None))

    @property
    def client_count(self) -> int:
        return len(self._clients)

    @property
    def last_id(self) -> int:
        return self._last_id

    # -- internals ----------------------------------------------------------------------------
    def _missed(self, client: Client, last_id: int) -> tuple[list[str], bool]:
        """The client's messages after ``last_id``, and whether a ring has forgotten some of them."""
        seen: dict[int, str] = {}
        gap = False
        for name in client.mailboxes:
            ring = self._boxes.get(name)
            if not ring:
                continue
            # The ring forgot messages this client never got: tell it to reload its state.
            if ring[0].id > last_id + 1 and ring.maxlen is not None and len(ring) == ring.maxlen:
                gap = True
            for sent in ring:
                if sent.id > last_id:
                    seen[sent.id] = sent.text
        return [seen[i] for i in sorted(seen)], gap

    def _offer(self, client: Client, text: str) -> bool:
        if client.dropped:
            return False
        try:
            client.queue.put_nowait(text)
            return True
        except asyncio.QueueFull:
            self._drop(client)
            return False

    def _drop(self, client: Client) -> None:
        client.dropped = True
        log.warning("ws.client_dropped", user_id=client.who.user_id, reason="queue overflow")
        self.detach(client)
        # Closing may wait on the very socket that is too slow: do it in a task of its own.
        task = asyncio.get_running_loop().create_task(self._close_slow(client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close_slow(client: Client) -> None:
        try:
            await asyncio.wait_for(client.socket.close(code=1008, message=b"too slow"), timeout=5)
        except (TimeoutError, ConnectionError, RuntimeError):
            pass

    async def _send_loop(self, client: Client) -> None:
        try:
            while True:
                text = await client.queue.get()
                await client.socket.send_str(text)
        except asyncio.CancelledError:
            raise
        except (ConnectionError, RuntimeError) as exc:
            # The peer went away mid-send; the handler's receive loop sees the close and detaches.
            log.info("ws.send_failed", user_id=client.who.user_id, error=str(exc))
            self._clients.discard(client)
