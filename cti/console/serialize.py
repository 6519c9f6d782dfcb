"""Journal rows to JSON-ready dicts with Russian labels (the API and the console speak these)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cti.console import labels
from ivr.nlu import CONFIDENT
from journal import Journal
from journal.addresses import format_address
from journal.clock import utcnow
from journal.lifecycle import allowed_from
from journal.models import Attachment, Building, MissedCall, Recording, Ticket, TicketHistory, User


def is_guess(confidence: float | None) -> bool:
    """The understanding was unsure of the category it suggests: show it as a guess."""
    return confidence is not None and confidence < CONFIDENT


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class Lookups:
    """Names for ids: buildings, staff, category and problem titles. A managing company has
    hundreds of buildings and dozens of staff, so loading them per request is cheap."""

    buildings: dict[int, Building]
    users: dict[int, User]
    categories: dict[str, str]
    problems: dict[str, str]

    @classmethod
    async def load(cls, journal: Journal) -> Lookups:
        buildings = {b.id: b for b in await journal.people.buildings()}
        users = {u.id: u for u in await journal.people.users()}
        categories = {code: info.title for code, info in journal.sla.categories.items()}
        problems = {code: info[0] for code, info in journal.sla.problems.items()}
        return cls(buildings, users, categories, problems)

    def category(self, code: str | None) -> str:
        if code is None:
            return "—"
        return self.categories.get(code) or labels.CATEGORY_FALLBACK.get(code, code)

    def address(self, building_id: int | None, apartment: str | None, text: str | None) -> str:
        b = self.buildings.get(building_id) if building_id is not None else None
        if b is None:
            return text or "адрес не указан"
        return format_address(b.street_type, b.street, b.house, b.building, apartment)

    def user_name(self, user_id: int | None) -> str | None:
        u = self.users.get(user_id) if user_id is not None else None
        return u.full_name if u else None


def ticket(t: Ticket, lk: Lookups, now: datetime | None = None) -> dict[str, Any]:
    now = now or utcnow()
    return {
        "id": t.id, "number": t.number, "status": t.status, "status_label": labels.STATUS.get(t.status, t.status),
        "is_open": t.is_open, "category": t.category, "category_label": lk.category(t.category),
        "problem": t.problem, "problem_label": lk.problems.get(t.problem or "", None),
        "priority": t.priority, "priority_label": labels.PRIORITY.get(t.priority, t.priority),
        "channel": t.channel, "channel_label": labels.CHANNEL.get(t.channel, t.channel),
        "caller_phone": t.caller_phone, "caller_name": t.caller_name,
        "building_id": t.building_id, "apartment": t.apartment, "address_text": t.address_text,
        "address": lk.address(t.building_id, t.apartment, t.address_text),
        "description": t.description, "transcript": t.transcript, "transcript_status": t.transcript_status,
        "suggested_category": t.suggested_category,
        "suggested_category_label": lk.category(t.suggested_category) if t.suggested_category else None,
        "suggested_guess": is_guess(t.suggested_category_confidence),
        "executor_id": t.executor_id, "executor_name": lk.user_name(t.executor_id),
        "received_at": iso(t.received_at), "next_due_at": iso(t.next_due_at), "due_at": iso(t.due_at),
        "localize_due_at": iso(t.localize_due_at), "localized_at": iso(t.localized_at),
        "done_at": iso(t.done_at), "closed_at": iso(t.closed_at),
        "overdue": bool(t.is_open and t.next_due_at is not None and t.next_due_at < now),
        "result": t.result, "handover_to": t.handover_to, "repeat_count": t.repeat_count,
        "allowed_statuses": [{"value": s.value, "label": labels.STATUS[s.value]} for s in sorted(allowed_from(t.status))],
    }


def history_row(h: TicketHistory, lk: Lookups) -> dict[str, Any]:
    before, after = h.before, h.after
    if h.field == "status":
        before, after = labels.STATUS.get(before or "", before), labels.STATUS.get(after or "", after)
    elif h.field in ("category", "suggested_category"):
        before, after = (lk.category(before) if before else None), (lk.category(after) if after else None)
    elif h.field == "priority":
        before, after = labels.PRIORITY.get(before or "", before), labels.PRIORITY.get(after or "", after)
    elif h.field == "executor_id":
        before = lk.user_name(int(before)) if before else None
        after = lk.user_name(int(after)) if after else None
    return {
        "id": h.id, "at": iso(h.at), "actor": labels.ACTORS.get(h.actor, h.actor), "kind": h.kind, "kind_label": labels.HISTORY_KIND.get(h.kind, h.kind),
        "field": h.field, "field_label": labels.FIELDS.get(h.field or "", h.field), "before": before, "after": after,
        "text": h.text, "public": h.public,
    }


def recording_title(r: Recording) -> str:
    """What a person reads instead of ``hotline-1796024995.2-1``."""
    when = f" ({r.duration_seconds:.0f} с)" if r.duration_seconds else ""
    if r.name.startswith("conversation-"):
        return "Разговор с диспетчером" + when
    if r.name.startswith("hotline-"):
        return "Обращение в голосовом меню" + when
    return "Запись звонка" + when


def recording(r: Recording) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "title": recording_title(r), "url": f"/recordings/{r.id}", "duration_seconds": r.duration_seconds,
            "created_at": iso(r.created_at), "transcript": r.transcript, "deleted": r.deleted_at is not None}


def attachment(a: Attachment) -> dict[str, Any]:
    return {"id": a.id, "kind": a.kind, "filename": a.filename, "content_type": a.content_type,
            "url": f"/attachments/{a.id}", "size_bytes": a.size_bytes, "created_at": iso(a.created_at)}


def missed(m: MissedCall, lk: Lookups) -> dict[str, Any]:
    return {
        "id": m.id, "call_id": m.call_id, "caller_number": m.caller_number, "caller_name": m.caller_name,
        "occurred_at": iso(m.occurred_at), "reason": m.reason, "step": m.step,
        "reason_label": labels.missed_reason(m.reason, m.step),
        "callback_due_at": iso(m.callback_due_at), "status": m.status, "attempts": m.attempts,
        "callback_at": iso(m.callback_at), "callback_by": lk.user_name(m.callback_by_id), "outcome": m.outcome,
        "outcome_label": labels.CALLBACK_OUTCOME.get(m.outcome or "", None), "comment": m.comment,
        "ticket_id": m.ticket_id,
    }


def user(u: User) -> dict[str, Any]:
    return {"id": u.id, "login": u.login, "name": u.full_name, "role": u.role,
            "role_label": labels.ROLE.get(u.role, u.role), "extension": u.extension, "is_active": u.is_active}


def building_groups(open_tickets: Sequence[Ticket], lk: Lookups) -> list[dict[str, Any]]:
    """Open tickets on one building grouped by problem (or category): "10 заявок: прорыв трубы"."""
    groups: dict[tuple[str, str | None], list[Ticket]] = defaultdict(list)
    for t in open_tickets:
        groups[(t.category, t.problem)].append(t)
    out = []
    for (category, problem), items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        label = lk.problems.get(problem or "") or lk.category(category)
        n = len(items) + sum(t.repeat_count for t in items)
        out.append({
            "category": category, "problem": problem, "label": label, "count": n,
            "text": f"{n} {labels.plural(n, 'обращение', 'обращения', 'обращений')}: {label}",
            "tickets": [{"id": t.id, "number": t.number} for t in items],
        })
    return out
