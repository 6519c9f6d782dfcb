"""The password policy for staff accounts: long enough, not a common password (a list of
20,000 shipped as package data, see data/README.md), not the login, not one repeated character
or a keyboard run. Applied where an administrator sets a password (create-user, set-password,
init); log-in itself checks only the hash."""

from __future__ import annotations

import functools
import gzip
from importlib import resources

MIN_LENGTH = 10
# Passwords of this project's own: the demo password is published in the README.
PROJECT_WORDS = frozenset({"demo-hotline", "hotline", "dispatcher", "dispatch", "admin", "administrator",
                           "ads", "адс", "диспетчер", "пароль", "parol"})
RUNS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm",
        "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")


@functools.cache
def common_passwords() -> frozenset[str]:
    data = resources.files("journal").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(line.strip() for line in gzip.decompress(data).decode().splitlines() if line.strip())


def password_problem(password: str, login: str = "") -> str | None:
    """Why this password is refused (in Russian, for the administrator), or None."""
    if len(password) < MIN_LENGTH:
        return f"пароль короче {MIN_LENGTH} символов"
    lowered = password.lower()
    core = lowered.strip("0123456789!@#$%^&*()-_=+.,?~ ")
    if len(set(lowered)) <= 2:
        return "пароль из одного-двух повторяющихся символов"
    if login and (login.lower() in lowered or lowered in login.lower()):
        return "пароль содержит логин"
    if lowered in PROJECT_WORDS or core in PROJECT_WORDS or any(w in lowered for w in ("demo-hotline", "hotline")):
        return "пароль из известных слов этой системы"
    common = common_passwords()
    if lowered in common or core in common:
        return "пароль из списка самых распространённых"
    for run in RUNS:
        for text in (run, run[::-1]):
            if core and core in text * 2:
                return "пароль — подряд идущие символы клавиатуры или алфавита"
    return None
