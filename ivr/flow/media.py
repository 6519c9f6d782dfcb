"""Asterisk media URIs for our prompts and for Russian numbers and dates.

Our prompts live in the sounds directory of language ``ru`` under ``hotline/`` (generated
from config/prompts.toml into ivr/prompts/). Digits, numbers and month names come from
Asterisk's Russian core sounds (Debian: asterisk-core-sounds-ru-wav), whose ``digits/``
has 0-20, 30..90, ``hundred`` and ``mon-0``..``mon-11`` (genitive month names: "ноября")
but no ``100``..``900``: ``number:`` is only safe below 100 with that pack.
"""

from __future__ import annotations

from ivr.flow.choices import Category, TicketStatus
from ivr.flow.events import Deadline, DeadlineBy, DeadlineWithin

PROMPT_DIR = "hotline"
BEEP = "sound:beep"


def prompt(name: str) -> str:
    """One of our prompts by its name in config/prompts.toml."""
    return f"sound:{PROMPT_DIR}/{name}"


def digits(text: str) -> str:
    """Say a ticket number digit by digit; separators such as '-' are not spoken."""
    only = "".join(ch for ch in text if ch.isdigit())
    return f"digits:{only}"


def number(value: int) -> str:
    """Say a small number; 100 and above would need files the Russian pack lacks."""
    if not 0 <= value < 100:
        return digits(str(value))
    return f"number:{value}"


def plural_form(n: int) -> str:
    """Russian plural form for a count: 'one' (1, 21), 'few' (2-4, 22-24), 'many' (5-20, 25)."""
    if n % 10 == 1 and n % 100 != 11:
        return "one"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return "few"
    return "many"


def category_prompt(category: Category) -> str:
    return prompt(f"category-{category.value}")


def status_prompt(status: TicketStatus) -> str:
    return prompt(f"status-{status.value}")


def deadline_media(deadline: Deadline) -> tuple[str, ...]:
    """'Срок выполнения: два часа' / 'Заявка будет выполнена до двадцать пятого ноября'.

    Core number sounds are nominative ("два"), so the duration is phrased as a nominative
    count ("два часа") rather than "в течение двух часов". Whole days are said in days.
    """
    if isinstance(deadline, DeadlineWithin):
        hours = deadline.hours
        if hours >= 24 and hours % 24 == 0:
            count, unit = hours // 24, "day"
        else:
            count, unit = hours, "hour"
        return (prompt("deadline-within"), number(count), prompt(f"{unit}-{plural_form(count)}"))
    assert isinstance(deadline, DeadlineBy)
    day = deadline.day
    # date-N are our genitive ordinals ("двадцать пятого"); digits/mon-N is 0-based.
    return (prompt("deadline-by"), prompt(f"date-{day.day}"), f"sound:digits/mon-{day.month - 1}")
