"""A mass outage on a real Asterisk: the dispatcher declares it from the console's service, its
announcement is voiced into the prompts directory Asterisk reads, and the resident of the
building, calling 112 from a SIP phone, hears it before the menu; staying on the line counts
them as a child of the outage, no dispatcher rung."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from cti.web.keys import OUTAGES_KEY
from journal import Actor, OutageDraft
from journal.clock import utcnow
from tests.real_asterisk.conftest import RESIDENT_NUMBER, Hotline, played, voiced_seconds, wav_seconds
from tests.real_asterisk.phones import Baresip
from tests.tools import restoration_ahead

REPO = Path(__file__).resolve().parents[2]


def asterisk_reads_the_service_prompts(hotline: Hotline) -> None:
    """As docs/operations.md lays it out: Asterisk's sounds/ru/hotline holds the shipped prompts
    and what the service installs (the outages' own prompts) beside them."""
    sounds = hotline.pbx.root / "lib" / "sounds" / "ru" / "hotline"
    installed = hotline.settings.path(hotline.settings.voice.prompts_dir)
    sounds.unlink()
    sounds.mkdir()
    for source in (REPO / "ivr" / "prompts", installed):
        for wav in source.glob("*.wav"):
            (sounds / wav.name).unlink(missing_ok=True)
            (sounds / wav.name).symlink_to(wav)


async def test_the_resident_hears_the_outage_and_is_counted_without_a_dispatcher(
        hotline: Hotline, phones: Callable[..., Baresip]) -> None:
    journal = hotline.runtime.journal
    building = await journal.people.add_building("Ленина", "5")
    await journal.people.save_resident(RESIDENT_NUMBER, name="Иванова", building_id=building.id, apartment="3")
    restoration, until = restoration_ahead(utcnow())
    outage = await hotline.runtime.app[OUTAGES_KEY].declare(OutageDraft(
        "heating", [building.id], "Внимание! В доме нет отопления: порыв на теплотрассе. Бригада уже работает.",
        expected_restoration=restoration), Actor("Петрова О."))
    text = hotline.settings.path(hotline.settings.voice.prompts_dir) / f"outage-{outage.id}-text.wav"
    assert wav_seconds(text) > 3
    asterisk_reads_the_service_prompts(hotline)

    console = await hotline.console("disp101")
    resident = phones("300")
    await asyncio.to_thread(resident.dial, "112")
    await console.state("menu", 10)
    ended = await console.state("ended", 90)
    assert ended["outcome"] == "ticket_registered" and ended["ticket_number"], ended
    assert ended.get("dispatcher") is None

    sounds = played(hotline.pbx, "PJSIP/300-")
    names = [s.rsplit("/", 1)[-1] for s in sounds]
    assert names.index("gas-warning") < names.index(f"outage-{outage.id}-text") < names.index("outage-menu"), names
    assert names[names.index(f"outage-{outage.id}-text") + 1] == until, names
    assert "category-menu" not in names and "category-menu" not in names and "connecting" not in names
    assert names[-2:] == ["outage-counted", "goodbye"], names
    [child] = await journal.outages.children(outage.id)
    assert child.caller_phone == RESIDENT_NUMBER and child.number == ended["ticket_number"]
    assert not console.messages("screen_pop")

    # The phone heard the announcement: voice where its text played.
    await asyncio.to_thread(resident.stop)
    [heard] = resident.heard()
    assert voiced_seconds(heard) >= 0.5 * wav_seconds(text) + 5, (voiced_seconds(heard), wav_seconds(text))
