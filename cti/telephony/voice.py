"""The voice menu's texts as an administrator changes them: a prompt from Russian text
(spoken by the prompt generator's espeak-ng + sox) or an uploaded recording (8 kHz mono WAV
as it is, anything else converted by sox), installed where Asterisk plays sound:hotline/<name>
from; and the greeting's live switches (an announcement, office hours for the out-of-hours
note). What was set is kept in the journal (admin_settings) and survives restarts."""

from __future__ import annotations

import asyncio
import os
import tempfile
import tomllib
from datetime import time
from pathlib import Path
from typing import Any

from ivr.flow.greeting import GreetingPlan
from ivr.prompts import PROMPTS_DIR
from ivr.prompts.synth import PromptError, install_recording, synthesize
from journal import Actor, InvalidValue, Journal
from journal.schedule import hhmm, parse_hhmm

VOICE_KEY_PREFIX = "voice."
GREETING_KEY = "voice.greeting"
EDITABLE = {
    "welcome": "Приветствие",
    "out-of-hours": "Нерабочее время",
    "announcement": "Объявление",
    "call-recorded": "Предупреждение о записи",
    "gas-warning": "Запах газа — звоните 104",
}
MAX_TEXT = 1000
_slots = asyncio.Semaphore(1)  # one espeak-ng/sox at a time: they are CPU work beside the calls


def shipped_texts(root: Path) -> dict[str, str]:
    data = tomllib.loads((root / "config" / "prompts.toml").read_text(encoding="utf-8"))
    prompts = data.get("prompts", {})
    return {name: str(prompts.get(name, "")) for name in EDITABLE}


def parse_hours(value: str | None) -> tuple[time, time] | None:
    if not value:
        return None
    try:
        start, end = value.split("-")
    except ValueError:
        raise InvalidValue("office_hours", "часы работы в виде 08:00-20:00") from None
    a, b = parse_hhmm(start), parse_hhmm(end)
    if a == b:
        raise InvalidValue("office_hours", "начало и конец совпадают")
    return time(a // 60, a % 60), time(b // 60, b % 60)


def format_hours(hours: tuple[time, time] | None) -> str | None:
    if hours is None:
        return None
    return f"{hhmm(hours[0].hour * 60 + hours[0].minute)}-{hhmm(hours[1].hour * 60 + hours[1].minute)}"


class VoiceMenu:
    def __init__(self, journal: Journal, greeting: GreetingPlan, prompts_dir: Path, root: Path) -> None:
        self.journal = journal
        self.greeting = greeting
        self.dir = prompts_dir
        self.root = root

    async def load(self) -> None:
        """At start: the greeting's switches as the administrator left them."""
        stored = await self.journal.settings.get(GREETING_KEY)
        if stored:
            self.greeting.announcement = bool(stored.get("announcement"))
            self.greeting.office_hours = parse_hours(stored.get("office_hours"))

    def path(self, name: str) -> Path:
        installed = self.dir / f"{name}.wav"
        return installed if installed.exists() else PROMPTS_DIR / f"{name}.wav"

    async def state(self) -> dict[str, Any]:
        stored = await self.journal.settings.all(VOICE_KEY_PREFIX + "prompt.")
        shipped = shipped_texts(self.root)
        prompts = []
        for name, label in EDITABLE.items():
            mine = stored.get(f"{VOICE_KEY_PREFIX}prompt.{name}") or {}
            prompts.append({"name": name, "label": label, "source": mine.get("source", "shipped"),
                            "text": mine.get("text") or shipped[name], "filename": mine.get("filename"),
                            "url": f"/api/admin/voice/prompts/{name}.wav"})
        return {"prompts": prompts, "announcement": self.greeting.announcement,
                "office_hours": format_hours(self.greeting.office_hours), "plan": list(self.greeting.prompts())}

    def _check(self, name: str) -> None:
        if name not in EDITABLE:
            raise InvalidValue("prompt", "этот текст меню не редактируется")

    def _install(self, name: str, make: Any) -> Any:
        """Make the file beside its place, then rename it in: Asterisk never plays half a file."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".wav", dir=self.dir)
        os.close(fd)
        try:
            result = make(Path(tmp))
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.dir / f"{name}.wav")
            return result
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    async def speak(self, name: str, text: str) -> None:
        """Synthesise ``text`` and install it as sound:hotline/<name> (also the outages' own
        prompts, which are not on this page)."""
        async with _slots:
            try:
                await asyncio.to_thread(self._install, name, lambda p: synthesize(text, p))
            except PromptError as exc:
                raise InvalidValue("text", str(exc)) from None

    def installed(self, name: str) -> bool:
        return (self.dir / f"{name}.wav").exists()

    async def set_text(self, actor: Actor, name: str, text: str) -> None:
        self._check(name)
        text = " ".join(text.split())
        if not text or len(text) > MAX_TEXT:
            raise InvalidValue("text", f"от 1 до {MAX_TEXT} знаков")
        await self.speak(name, text)
        await self.journal.settings.set(actor, f"{VOICE_KEY_PREFIX}prompt.{name}", {"source": "text", "text": text},
                                        summary=f"Голосовое меню: {EDITABLE[name]}")

    async def set_recording(self, actor: Actor, name: str, data: bytes, filename: str) -> bool:
        self._check(name)
        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "upload"
            source.write_bytes(data)
            async with _slots:
                try:
                    converted = await asyncio.to_thread(self._install, name, lambda p: install_recording(source, p))
                except PromptError as exc:
                    raise InvalidValue("file", str(exc)) from None
        await self.journal.settings.set(actor, f"{VOICE_KEY_PREFIX}prompt.{name}",
                                        {"source": "recording", "filename": filename[:200], "converted": converted},
                                        summary=f"Голосовое меню: {EDITABLE[name]} (запись)")
        return bool(converted)

    async def set_greeting(self, actor: Actor, *, announcement: bool, office_hours: str | None) -> None:
        hours = parse_hours(office_hours)
        await self.journal.settings.set(actor, GREETING_KEY,
                                        {"announcement": announcement, "office_hours": format_hours(hours)},
                                        summary="Голосовое меню: объявление и часы работы")
        self.greeting.announcement = announcement
        self.greeting.office_hours = hours


__all__ = ["EDITABLE", "VoiceMenu", "format_hours", "parse_hours"]
