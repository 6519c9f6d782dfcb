"""AMI client over panoramisk 1.4: real login, our own ping watchdog, reconnect with backoff.

Every action is bounded by ``AmiSettings.action_timeout_seconds``. ``originate`` never makes the
caller wait for the OriginateResponse: it returns a handle whose task is kept by the client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from ivr.ami.errors import AmiActionError, AmiAuthError, AmiError, AmiNotConnected, AmiTimeout
from ivr.ami.events import AmiEvent, OriginateResult
from ivr.ami.manager import SessionManager
from ivr.config import AmiSettings
from ivr.link_state import LinkStatePublisher, backoff_delays

log = structlog.get_logger(__name__)

AmiListener = Callable[[AmiEvent], None]


@dataclass(slots=True)
class OriginateHandle:
    """A queued Originate; ``await handle.result()`` gives the OriginateResponse outcome."""

    action_id: str
    task: asyncio.Task[OriginateResult]

    async def result(self, timeout: float | None = None) -> OriginateResult:
        return await asyncio.wait_for(asyncio.shield(self.task), timeout)


class AmiClient:
    def __init__(self, settings: AmiSettings, *, initial_backoff: float = 0.5, reconnect_max: float = 30.0,
                 originate_timeout: float = 60.0) -> None:
        self.settings = settings
        self.state = LinkStatePublisher("ami")
        self._delay = backoff_delays(initial_backoff, reconnect_max)
        self._listeners: list[AmiListener] = []
        self._manager: SessionManager | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._originate_timeout = originate_timeout
        self._seq = 0
        self.connects = 0

    # -- lifecycle -----------------------------------------------------------------------

    def add_listener(self, listener: AmiListener) -> None:
        self._listeners.append(listener)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="ami-session")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.state.set(False, "stopped")

    async def __aenter__(self) -> AmiClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _run(self) -> None:
        failures = 0
        while True:
            manager: SessionManager | None = None
            try:
                manager = await self._connect()
                failures = 0
                self.connects += 1
                self._manager = manager
                self.state.set(True, "logged in")
                log.info("ami.connected", host=self.settings.host, port=self.settings.port)
                reason = await self._watch(manager)
            except (TimeoutError, OSError, AmiError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, AmiAuthError):
                    log.error("ami.login_refused", user=self.settings.username)
            finally:
                self._manager = None
                if manager is not None:
                    manager.close()
            self.state.set(False, reason)
            delay = self._delay(failures)
            failures += 1
            log.warning("ami.disconnected", reason=reason, retry_in=delay)
            await asyncio.sleep(delay)

    async def _connect(self) -> SessionManager:
        manager = SessionManager(
            host=self.settings.host, port=self.settings.port, username=self.settings.username,
            secret=self.settings.password, events="on", ping_delay=3600, reconnect_timeout=3600,
            loop=asyncio.get_running_loop(),
        )
        manager.register_event("*", self._dispatch)
        timeout = self.settings.action_timeout_seconds
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for drops a cancellation that lands
        # as the awaited answer arrives, and stop() would then wait for a session that goes on.
        try:
            async with asyncio.timeout(timeout):
                await manager.connect()
            # connect() returns once TCP is up; the login answer comes later.
            login = manager.authenticated_future
            if login is None:
                raise AmiError("no login sent")
            async with asyncio.timeout(timeout):
                response = await asyncio.shield(login)
        except BaseException:
            manager.close()
            raise
        if not response.success:
            manager.close()
            raise AmiAuthError(str(response.get("Message", "login refused")))
        return manager

    async def _watch(self, manager: SessionManager) -> str:
        """Ping every interval and check the answer; return why the session ended."""
        while True:
            done, _ = await asyncio.wait({manager.lost}, timeout=self.settings.ping_interval_seconds)
            if done:
                return "connection lost"
            try:
                await self._send(manager, {"Action": "Ping"}, self.settings.action_timeout_seconds)
            except (TimeoutError, AmiError) as exc:
                log.warning("ami.ping_failed", error=str(exc))
                return "ping unanswered"

    def _dispatch(self, _manager: Any, message: Any) -> None:
        event = AmiEvent.from_message(message)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("ami.listener_failed", ami_event=event.name)

    # -- actions -------------------------------------------------------------------------

    def _next_id(self) -> str:
        self._seq += 1
        return f"hotline-{id(self):x}-{self._seq}"

    @staticmethod
    async def _send(manager: SessionManager, action: Mapping[str, Any], timeout: float,
                    as_list: bool | None = None) -> Any:
        future = manager.send_action(dict(action), as_list=as_list)
        try:
            async with asyncio.timeout(timeout):  # not wait_for: see _connect
                return await future
        except TimeoutError as exc:
            raise AmiTimeout(f"{action.get('Action')}: no answer in {timeout:.1f}s") from exc

    async def send_action(self, action: Mapping[str, Any], *, timeout: float | None = None,
                          as_list: bool | None = None) -> Any:
        """Send one action on the current session; raises AmiNotConnected/AmiTimeout/AmiActionError."""
        manager = self._manager
        if manager is None:
            raise AmiNotConnected("AMI not connected")
        action = {"ActionID": self._next_id(), **action}
        reply = await self._send(manager, action, timeout or self.settings.action_timeout_seconds, as_list)
        first = reply[0] if isinstance(reply, list) else reply
        if first.get("Response") == "Error":
            raise AmiActionError(str(action.get("Action")), str(first.get("Message", "")))
        return reply

    def originate(self, channel: str, *, context: str | None = None, exten: str | None = None,
                  priority: int = 1, application: str | None = None, data: str | None = None,
                  caller_id: str | None = None, timeout_ms: int = 30000,
                  variables: Mapping[str, str] | None = None) -> OriginateHandle:
        """Queue an async Originate; the returned handle's task is tracked by this client."""
        action: dict[str, Any] = {"Action": "Originate", "Channel": channel, "Async": "true",
                                  "Timeout": str(timeout_ms), "ActionID": self._next_id()}
        if application:
            action.update(Application=application, Data=data or "")
        else:
            action.update(Context=context or "default", Exten=exten or "s", Priority=str(priority))
        if caller_id:
            action["CallerID"] = caller_id
        if variables:
            action["Variable"] = [f"{k}={v}" for k, v in variables.items()]
        task = asyncio.create_task(self._originate(action, timeout_ms / 1000.0), name="ami-originate")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return OriginateHandle(str(action["ActionID"]), task)

    async def _originate(self, action: dict[str, Any], ring_timeout: float) -> OriginateResult:
        reply = await self.send_action(action, timeout=self.settings.action_timeout_seconds + ring_timeout,
                                       as_list=None)
        messages = reply if isinstance(reply, list) else [reply]
        final = messages[-1]
        raw = tuple({str(k): str(v) for k, v in m.items()} for m in messages)
        if final.get("Event") != "OriginateResponse":
            return OriginateResult(False, "0", raw=raw)
        return OriginateResult(final.get("Response") == "Success", str(final.get("Reason", "")),
                               str(final.get("Channel", "")), str(final.get("Uniqueid", "")), raw)

    async def redirect(self, channel: str, context: str, exten: str, priority: int = 1) -> None:
        await self.send_action({"Action": "Redirect", "Channel": channel, "Context": context,
                                "Exten": exten, "Priority": str(priority)})

    async def hangup(self, channel: str, cause: int | None = None) -> None:
        action: dict[str, Any] = {"Action": "Hangup", "Channel": channel}
        if cause is not None:
            action["Cause"] = str(cause)
        await self.send_action(action)

    async def core_show_channels(self) -> list[dict[str, str]]:
        """Every channel (the reply comes as several messages; panoramisk gives a list)."""
        reply = await self.send_action({"Action": "CoreShowChannels"})
        messages = reply if isinstance(reply, list) else [reply]
        return [{str(k): str(v) for k, v in m.items()} for m in messages if m.get("Event") == "CoreShowChannel"]

    async def ping(self) -> None:
        await self.send_action({"Action": "Ping"})
