"""Demo mode: a journal a newcomer can use at once (staff with a published demo password,
buildings, executors on shift). Never runs outside ``server.demo = true``, never with a real
PBX configured, and a journal holding these accounts does not start in production."""

from __future__ import annotations

import structlog

from journal import Journal, Shift

log = structlog.get_logger(__name__)

DEMO_PASSWORD = "demo-hotline"

STAFF = [
    ("admin", "Администратор", "admin", None),
    ("dispatcher1", "Петрова Ольга", "dispatcher", "101"),
    ("dispatcher2", "Смирнов Андрей", "dispatcher", "102"),
    ("plumber", "Кузнецов Иван (сантехник)", "executor", "201"),
    ("electrician", "Волков Сергей (электрик)", "executor", "202"),
    ("qa", "Орлова Мария (контроль качества)", "qa", None),
]
EXECUTOR_CATEGORIES = {
    "plumber": ["water", "sewer", "heating"],
    "electrician": ["electricity", "elevator"],
}
# Residents the journal knows (their calls come with an address): (phone, name, building index, apartment).
RESIDENTS = [
    ("79161234567", "Иванова Мария Петровна", 0, "12"),
    ("79035550101", "Соколов Дмитрий", 1, "47"),
]
BUILDINGS = [
    ("Ленина", "5", None, "улица"),
    ("Мира", "23", None, "проспект"),
    ("Садовая", "7", "2", "улица"),
    ("Строителей", "12", None, "улица"),
]


async def seed(journal: Journal, password: str = DEMO_PASSWORD) -> bool:
    """Fill an empty journal; True if it did. (Tests of a real-PBX set-up seed the same staff
    with a password of their own: the demo password never meets a PBX.)"""
    if await journal.people.users():
        return False
    ids = []
    for street, house, building, street_type in BUILDINGS:
        ids.append((await journal.people.add_building(street, house, building, street_type=street_type)).id)
    for phone, name, index, apartment in RESIDENTS:
        await journal.people.save_resident(phone, name=name, building_id=ids[index], apartment=apartment)
    all_week = [Shift(day, 0, 1440) for day in range(7)]
    for login, name, role, ext in STAFF:
        user = await journal.people.create_user(login, name, role, password, extension=ext)
        if login in EXECUTOR_CATEGORIES:
            await journal.people.set_executor_profile(user.id, categories=EXECUTOR_CATEGORIES[login], shifts=all_week)
    # The published demo password may be printed; any other never is.
    log.info("demo.seeded", users=[s[0] for s in STAFF],
             password=DEMO_PASSWORD if password == DEMO_PASSWORD else "***")
    return True


async def demo_accounts(journal: Journal) -> list[str]:
    """Active accounts of the demo staff that still have the published password."""
    logins = {login for login, *_ in STAFF}
    found = []
    for user in await journal.people.users():
        if user.is_active and user.login in logins and await journal.people.verify_password(user, DEMO_PASSWORD):
            found.append(user.login)
    return sorted(found)
