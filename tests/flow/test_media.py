"""Russian numbers, plurals and deadlines as Asterisk media."""

from __future__ import annotations

from datetime import date

import pytest

from ivr.flow import DeadlineBy, DeadlineWithin
from ivr.flow.media import deadline_media, digits, number, plural_form


@pytest.mark.parametrize(
    ("n", "form"),
    [(1, "one"), (2, "few"), (4, "few"), (5, "many"), (11, "many"), (12, "many"), (14, "many"),
     (20, "many"), (21, "one"), (22, "few"), (25, "many"), (101, "one"), (111, "many"), (0, "many")],
)
def test_plural_form(n: int, form: str) -> None:
    assert plural_form(n) == form


def test_ticket_numbers_are_said_digit_by_digit_without_separators() -> None:
    assert digits("А-000 123") == "digits:000123"


@pytest.mark.parametrize(("n", "media"), [(0, "number:0"), (72, "number:72"), (99, "number:99"), (100, "digits:100")])
def test_numbers_past_99_fall_back_to_digits(n: int, media: str) -> None:
    # The Debian Russian core sounds have no digits/100..900 for number: to use.
    assert number(n) == media


@pytest.mark.parametrize(
    ("deadline", "media"),
    [
        (DeadlineWithin(2), ("number:2", "sound:hotline/hour-few")),
        (DeadlineWithin(5), ("number:5", "sound:hotline/hour-many")),
        (DeadlineWithin(21), ("number:21", "sound:hotline/hour-one")),
        (DeadlineWithin(36), ("number:36", "sound:hotline/hour-many")),
        (DeadlineWithin(72), ("number:3", "sound:hotline/day-few")),
        (DeadlineWithin(120), ("number:5", "sound:hotline/day-many")),
    ],
)
def test_deadline_within(deadline: DeadlineWithin, media: tuple[str, ...]) -> None:
    assert deadline_media(deadline) == ("sound:hotline/deadline-within", *media)


@pytest.mark.parametrize(
    ("day", "media"),
    [
        (date(2026, 11, 25), ("sound:hotline/date-25", "sound:digits/mon-10")),
        (date(2027, 1, 1), ("sound:hotline/date-1", "sound:digits/mon-0")),
        (date(2026, 12, 31), ("sound:hotline/date-31", "sound:digits/mon-11")),
    ],
)
def test_deadline_by_date(day: date, media: tuple[str, ...]) -> None:
    assert deadline_media(DeadlineBy(day)) == ("sound:hotline/deadline-by", *media)
