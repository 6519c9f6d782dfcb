"""Asterisk nodes, each run by one service instance at a time.

An instance runs a node's calls (its ARI events websocket, its AMI session, the orphans check)
only while it holds the node's PostgreSQL session advisory lock, on the dedicated connection
with TCP keepalives that also holds the periodic jobs' locks (journal/job_locks.py). Every
instance asks for every listed node at start and then every ``cluster.claim_interval_seconds``:
the first one takes them all, the others stand by. When the owner's session ends (a clean stop
gives the locks up at once; a killed process closes its socket; a machine gone is noticed by the
keepalive) the next standby to ask takes the node and connects: the ARI reconcile adopts the
channels still in the Stasis application (their flows start again as resumed, finding their
journal row by node and channel id, and what was already decided), and the calls of that node
the journal still has open whose channels are gone become missed calls. Nothing is run twice: a
node's calls are run by its lock's holder only, and an owner whose lock session breaks stops
the node before anyone can take it.

On SQLite there is one instance (``hotline run`` holds the file), which owns every node.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Mapping, Sequence

import structlog

from cti.node_settings import NodeSettings
from ivr.ami import AmiClient, CallTracker, TrackerSync
from ivr.ami.client import OriginateHandle
from ivr.ari import AriClient, AriService
from ivr.ari.dispatcher import CallHandler
from ivr.ari.errors import AriError
from journal import Journal
from journal.clock import utcnow
from journal.job_locks import JobLocks, node_key

log = structlog.get_logger(__name__)


class NodeLink:
    """One Asterisk node's call machinery: built once, connected while this instance owns it.
    Its REST client is open all along (a rating call may be originated on any node)."""

    def __init__(self, node: NodeSettings, handler: CallHandler, tracker: CallTracker, journal: Journal) -> None:
        self.name = node.name
        self.journal = journal
        self.ari = AriService(node.ari, handler)
        self.ami = AmiClient(node.ami)
        self.ami.add_listener(tracker.handle)
        self._sync = TrackerSync(self.ami, tracker)
        self._orphans: asyncio.Task[None] | None = None
        self.running = False

    async def open(self) -> None:
        await self.ari.client.start()

    async def connect(self) -> None:
        """Run the node's calls: the ARI reconcile adopts the live ones once connected."""
        self.running = True
        # Extension calls that began while AMI was away (or before we started) are adopted.
        self._sync.start()
        await self.ari.start()
        await self.ami.start()
        self._orphans = asyncio.create_task(self._close_orphans(), name=f"close-orphan-calls-{self.name}")

    async def _close_orphans(self) -> None:
        """Once the node answers: its calls a previous owner left in progress whose channels are
        gone become missed calls for callback (live ones are adopted by the ARI reconcile)."""
        try:
            await self.ari.state.wait_connected()
            listed_at = utcnow()
            live = {c.id for c in await self.ari.client.list_channels()}
            await self.journal.calls.close_orphans(live, listed_at=listed_at, node=self.name)
        except Exception:
            log.exception("calls.orphans_check_failed", node=self.name)

    async def disconnect(self) -> None:
        """Stop running the node's calls (the lock is given up after this, never before)."""
        self.running = False
        if self._orphans is not None:
            self._orphans.cancel()
            await asyncio.gather(self._orphans, return_exceptions=True)
            self._orphans = None
        self._sync.stop()
        for step, stop in (("ari", self.ari.connection.stop), ("ari_calls", self.ari.dispatcher.close),
                           ("ami", self.ami.stop)):
            try:
                await stop()
            except Exception:
                log.exception("node.stop_step_failed", node=self.name, step=step)

    async def close(self) -> None:
        if self.running:
            await self.disconnect()
        await self.ari.client.close()


class NodeOwnership:
    """Takes the nodes this instance can own, keeps asking for the others, and gives them all
    up on ``stop``. ``owned`` names the nodes it runs now."""

    def __init__(self, journal: Journal, links: Sequence[NodeLink], *, instance: str, interval: float,
                 preferred: Collection[str] = (), grace: float = 0.0) -> None:
        self.links = list(links)
        self.instance = instance
        self.interval = interval
        self.preferred = set(preferred)
        self.grace = grace
        self._started = 0.0
        self.locks = JobLocks(journal.db, key=node_key, taken_event="node.lock_taken")
        # A previous owner whose lock session broke (PostgreSQL restarted, its connection cut)
        # while it lives on stops at its next check, at most this long after: a new owner waits
        # as long before it runs the node, so that no call is ever run by two. Not on SQLite.
        self.check_timeout = max(1.0, interval)
        self.fence = interval + self.check_timeout if journal.db.dialect == "postgresql" else 0.0
        self._task: asyncio.Task[None] | None = None
        self._standby_said: set[str] = set()

    @property
    def owned(self) -> list[str]:
        return [link.name for link in self.links if link.running]

    def link(self, name: str) -> NodeLink:
        return next(link for link in self.links if link.name == name)

    async def start(self) -> None:
        """One round at once (alone, or first, this instance has its nodes when this returns),
        then one every ``interval``."""
        for link in self.links:
            await link.open()
        self._started = asyncio.get_running_loop().time()
        await self.claim()
        self._task = asyncio.create_task(self._run(), name="node-ownership")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.claim()
            except Exception:  # the next round tries again
                log.exception("node.claim_failed", instance=self.instance)

    async def claim(self) -> None:
        patient = self.preferred and asyncio.get_running_loop().time() - self._started < self.grace
        for link in self.links:
            if patient and link.name not in self.preferred and not link.running:
                continue  # its preferred instance may be starting too
            held = await self._hold(link.name)
            if held and not link.running:
                if self.fence:
                    await asyncio.sleep(self.fence)
                    if not await self._hold(link.name):
                        continue
                log.info("node.taken", node=link.name, instance=self.instance)
                await link.connect()
            elif not held and link.running:
                # Our lock session broke: another instance may take the node any moment now.
                log.warning("node.released", node=link.name, instance=self.instance, reason="lock_lost")
                await link.disconnect()
            elif not held and link.name not in self._standby_said:
                # Said once: an operator who gave two Asterisks one name (two instances with an
                # [ari] of their own each, both "main") sees why this one never connects its own.
                self._standby_said.add(link.name)
                log.info("node.standby", node=link.name, instance=self.instance,
                         hint="another instance runs this node; nodes are told apart by name ([ari] node)")

    async def _hold(self, name: str) -> bool:
        """Whether this instance holds the node's lock; a check that hangs (the database out of
        reach) counts as lost, and its session is closed so that it is lost for sure."""
        try:
            return await asyncio.wait_for(self.locks.hold(name), timeout=self.check_timeout)
        except TimeoutError:
            log.warning("node.lock_check_timeout", node=name, instance=self.instance)
            with contextlib.suppress(Exception):
                await self.locks.close()
            return False

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        owned = self.owned
        for link in self.links:
            await link.close()
        # Only now that nothing of ours runs a call: a standby takes the nodes at its next round.
        with contextlib.suppress(Exception):
            await self.locks.close()
        for name in owned:
            log.info("node.released", node=name, instance=self.instance, reason="stopped")


class NoNodeOwned(Exception):
    """This instance runs no Asterisk node now (another instance owns them all)."""


class OwnedAmi:
    """The AMI of a node this instance owns, for actions any node can carry out (a dispatcher's
    call back reaches the resident through whichever node rings the dispatcher)."""

    def __init__(self, ownership: NodeOwnership) -> None:
        self.ownership = ownership

    def _ami(self) -> AmiClient:
        for link in self.ownership.links:
            if link.running:
                return link.ami
        raise NoNodeOwned("no Asterisk node is run by this instance now")

    def originate(self, channel: str, *, context: str | None = None, exten: str | None = None,
                  priority: int = 1, application: str | None = None, data: str | None = None,
                  caller_id: str | None = None, timeout_ms: int = 30000,
                  variables: Mapping[str, str] | None = None) -> OriginateHandle:
        return self._ami().originate(channel, context=context, exten=exten, priority=priority,
                                     application=application, data=data, caller_id=caller_id,
                                     timeout_ms=timeout_ms, variables=variables)


class AnyNodeAri:
    """Originate a call that runs in the dialplan through the ARI REST interface of any listed
    node, in turn until one accepts: what an instance that runs no node now (a standby, or one
    whose node is down) uses for a dispatcher's call back. One HTTP request, no events
    websocket and no ownership: the call is the dialplan's, not our application's."""

    def __init__(self, nodes: Sequence[NodeSettings], *, timeout: float = 5.0) -> None:
        self.nodes = list(nodes)
        self.timeout = timeout

    async def originate(self, endpoint: str, *, context: str, exten: str, caller_id: str,
                        ring_seconds: int) -> str:
        """The node that took the call; raises the last node's error when none did."""
        failure: Exception = NoNodeOwned("no Asterisk node is listed")
        for node in self.nodes:
            try:
                async with asyncio.timeout(self.timeout), AriClient(node.ari) as client:
                    await client.originate(endpoint, extension=exten, context=context, priority=1,
                                           caller_id=caller_id, timeout=ring_seconds)
                return node.name
            except (AriError, TimeoutError) as exc:  # AriClient says a refused connection as AriError
                log.warning("node.originate_failed", node=node.name, error=str(exc) or type(exc).__name__)
                failure = exc
        raise failure
