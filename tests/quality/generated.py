"""A journal filled with random calls, missed calls, recordings and tickets whose true figures
the tests compute on their own from the generated rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from journal import Journal
from journal.analytics import Period
from journal.models import Call, MissedCall, Recording, Ticket

TZ = ZoneInfo("Europe/Moscow")
CATS = ["water", "heating", "electricity", "elevator", "cleaning"]
OUTCOMES = ["ticket", "missed", "transferred", "answered"]


@dataclass
class Generated:
    period: Period
    now: datetime
    dispatchers: list[int]
    executors: list[int]
    buildings: list[int]
    calls: list[Call] = field(default_factory=list)
    missed: list[MissedCall] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    recordings: list[Recording] = field(default_factory=list)


async def generate(journal: Journal, *, seed: int = 416, n_calls: int = 240, n_tickets: int = 180) -> Generated:
    rnd = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=TZ)
    period = Period(start, start + timedelta(days=10))
    now = start + timedelta(days=12)
    people = journal.people
    dispatchers = [(await people.create_user(f"d{i}", f"Диспетчер {i}", "dispatcher", "password1",
                                             extension=f"10{i}")).id for i in range(1, 3)]
    executors = [(await people.create_user(f"e{i}", f"Исполнитель {i}", "executor", "password1")).id
                 for i in range(1, 4)]
    buildings = [(await people.add_building("Ленина", str(i))).id for i in range(1, 6)]
    g = Generated(period, now, dispatchers, executors, buildings)

    def moment() -> datetime:  # around the period, some rows outside it on both sides
        return start + timedelta(seconds=rnd.randint(-2 * 86400, 12 * 86400 - 1) + 0.25)

    async with journal.db.write() as s:
        for i in range(n_calls):
            started = moment()
            outcome = rnd.choice(OUTCOMES)
            answered = None
            if outcome != "missed" and rnd.random() < 0.8:
                answered = started + timedelta(seconds=rnd.randint(1, 90) + 0.5)
            # Some are scripted calls to trainee dispatchers, which no figure may count.
            call = Call(channel_id=f"gen-{i}", caller_number=f"7916{rnd.randint(0, 9999999):07d}", started_at=started,
                        answered_at=answered, ended_at=started + timedelta(seconds=rnd.randint(100, 400)),
                        outcome=outcome, dispatcher_id=rnd.choice(dispatchers) if answered else None,
                        direction="training" if i % 19 == 0 and outcome != "missed" else "inbound")
            s.add(call)
            g.calls.append(call)
        await s.flush()
        for call in g.calls:
            if call.outcome == "missed":
                delay = rnd.choice([None, 3, 7, 9, 11, 25])
                m = MissedCall(call_id=call.id, caller_number=call.caller_number, occurred_at=call.started_at,
                               reason="hangup", callback_due_at=call.started_at + timedelta(minutes=10),
                               status="done" if delay else "pending",
                               callback_at=call.started_at + timedelta(minutes=delay, seconds=20) if delay else None,
                               outcome="reached" if delay else None)
                s.add(m)
                g.missed.append(m)
            if rnd.random() < 0.6:
                deleted = rnd.random() < 0.15
                rec = Recording(call_id=call.id, name=f"rec-{call.id}", sha256="0" * 64, path=f"x/{call.id}.wav",
                                size_bytes=1, deleted_at=now if deleted else None)
                s.add(rec)
                g.recordings.append(rec)
        ticket_calls = [c for c in g.calls if c.outcome == "ticket"]
        for i in range(n_tickets):
            received = moment()
            category = rnd.choice(CATS)
            localize_due = received + timedelta(hours=rnd.choice([1, 2])) if rnd.random() < 0.5 else None
            due = received + timedelta(hours=rnd.choice([3, 24, 72]))
            localized = received + timedelta(minutes=rnd.randint(5, 200), seconds=30) if localize_due and rnd.random() < 0.8 else None
            done = received + timedelta(minutes=rnd.randint(30, 6000), seconds=30) if rnd.random() < 0.7 else None
            status = rnd.choice(["closed", "done"]) if done else rnd.choice(["new", "assigned", "in_progress", "cancelled"])
            rating = rnd.choice([None, 1, 2, 3, 4, 5]) if done else None
            call = ticket_calls.pop() if ticket_calls and rnd.random() < 0.7 else None
            # Some are dispatchers' training tickets, which no figure may count.
            channel = "training" if i % 17 == 0 else "phone_ivr"
            t = Ticket(number=f"2026-{i + 1:06d}", received_at=received, channel=channel, category=category,
                       priority="urgent", status=status, is_open=status not in ("closed", "done", "cancelled"),
                       building_id=rnd.choice([*buildings, None]), executor_id=rnd.choice([*executors, None]),
                       localize_due_at=localize_due, localized_at=localized, due_at=due, done_at=done,
                       next_due_at=due, repeat_count=rnd.choice([0, 0, 0, 1, 2]), rating=rating,
                       call_id=call.id if call else None, created_at=received, updated_at=received)
            s.add(t)
            g.tickets.append(t)
    return g
