"""A small reader and checker for Asterisk's configuration file format.

asterisklint checks extensions.conf well but knows nothing of pjsip.conf, ari.conf and
the rest, nor of how our files refer to each other. This module parses any of them into
sections of ``key = value`` / ``key => value`` entries (with ``[name](!)`` templates and
``[name](tpl)`` inheritance, ``;`` comments, ``;-- --;`` block comments) and checks the
dialplan's own syntax: ``exten => pattern,priority,App(args)`` with balanced brackets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


class ConfError(Exception):
    def __init__(self, where: str, line: int, message: str) -> None:
        super().__init__(f"{where}:{line}: {message}")
        self.line = line


@dataclass
class Entry:
    key: str
    value: str
    line: int
    arrow: bool  # written with "=>"


@dataclass
class Section:
    name: str
    line: int
    is_template: bool = False
    inherits: tuple[str, ...] = ()
    entries: list[Entry] = field(default_factory=list)

    def get(self, key: str) -> str | None:
        values = self.values(key)
        return values[-1] if values else None

    def values(self, key: str) -> list[str]:
        return [e.value for e in self.entries if e.key == key]


_SECTION = re.compile(r"^\[([^\]\s]+)\](?:\(([^)]*)\))?$")
_ENTRY = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(=>|=)\s*(.*)$")


def _strip_comment(line: str) -> str:
    # ';' starts a comment unless escaped as '\;'.
    out = []
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if ch == ";":
            break
        out.append(ch)
        i += 1
    return "".join(out).strip()


def parse(text: str, where: str = "<conf>") -> list[Section]:
    sections: list[Section] = []
    in_block_comment = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw
        if in_block_comment:
            if "--;" not in line:
                continue
            line = line.split("--;", 1)[1]
            in_block_comment = False
        if ";--" in line:
            before, after = line.split(";--", 1)
            if "--;" not in after:
                in_block_comment = True
            line = before
        line = _strip_comment(line)
        if not line:
            continue
        if line.startswith("#"):
            if not re.match(r"#(include|tryinclude|exec)\s+\S", line):
                raise ConfError(where, number, f"unknown directive {line!r}")
            continue
        if line.startswith("["):
            match = _SECTION.match(line)
            if not match:
                raise ConfError(where, number, f"bad section header {line!r}")
            options = [o.strip() for o in (match.group(2) or "").split(",") if o.strip()]
            sections.append(
                Section(
                    name=match.group(1),
                    line=number,
                    is_template="!" in options,
                    inherits=tuple(o for o in options if o not in ("!", "+")),
                )
            )
            continue
        match = _ENTRY.match(line)
        if not match:
            raise ConfError(where, number, f"expected key = value, got {line!r}")
        if not sections:
            raise ConfError(where, number, "setting outside any [section]")
        sections[-1].entries.append(Entry(match.group(1), match.group(3).strip(), number, match.group(2) == "=>"))
    if in_block_comment:
        raise ConfError(where, len(text.splitlines()), "unterminated ;-- block comment")
    for section in sections:
        for parent in section.inherits:
            if not any(s.name == parent and s.is_template for s in sections):
                raise ConfError(where, section.line, f"[{section.name}] inherits unknown template {parent!r}")
    return sections


def parse_file(path: Path) -> list[Section]:
    return parse(path.read_text(encoding="utf-8"), str(path))


def resolved(sections: list[Section], section: Section) -> dict[str, str]:
    """A section's settings with its templates' underneath (last value wins)."""
    values: dict[str, str] = {}
    for parent in section.inherits:
        template = next(s for s in sections if s.name == parent and s.is_template)
        values.update(resolved(sections, template))
    for entry in section.entries:
        values[entry.key] = entry.value
    return values


# ---- dialplan ---------------------------------------------------------------------------

_APP = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\((.*)\))?$", re.S)
_PATTERN = re.compile(r"^(_[0-9XZN.!*#+\[\]\-]+|[0-9A-Za-z*#+]+)$")
_PRIORITY = re.compile(r"^(\d+|n|hint)(\([A-Za-z0-9_-]+\))?$")
CONTEXT_KEYS = {"exten", "same", "include", "switch", "ignorepat"}


@dataclass
class Step:
    context: str
    exten: str
    priority: str
    app: str
    args: list[str]
    line: int


def balanced(text: str) -> bool:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[str] = []
    for ch in text:
        if ch in "([{":
            stack.append(ch)
        elif ch in pairs:
            if not stack or stack.pop() != pairs[ch]:
                return False
    return not stack and text.count('"') % 2 == 0


def split_args(args: str) -> list[str]:
    """Split application arguments on top-level commas (not inside ${...} or (...))."""
    parts, depth, current = [], 0, ""
    for ch in args:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def dialplan_steps(sections: list[Section], where: str = "extensions.conf") -> Iterator[Step]:
    """Every priority of every context, checked for syntax on the way."""
    for section in sections:
        if section.name in ("general", "globals"):
            continue
        exten: str | None = None
        for entry in section.entries:
            if entry.key not in CONTEXT_KEYS or not entry.arrow:
                raise ConfError(where, entry.line, f"[{section.name}]: unexpected {entry.key!r}")
            if entry.key in ("include", "switch", "ignorepat"):
                continue
            fields = entry.value.split(",", 2 if entry.key == "exten" else 1)
            if entry.key == "exten":
                if len(fields) != 3:
                    raise ConfError(where, entry.line, "exten needs pattern,priority,application")
                exten = fields[0].strip()
                if not _PATTERN.match(exten):
                    raise ConfError(where, entry.line, f"bad extension pattern {exten!r}")
                priority, app_text = fields[1].strip(), fields[2].strip()
            else:
                if exten is None:
                    raise ConfError(where, entry.line, "same => before any exten =>")
                if len(fields) != 2:
                    raise ConfError(where, entry.line, "same needs priority,application")
                priority, app_text = fields[0].strip(), fields[1].strip()
            if not _PRIORITY.match(priority):
                raise ConfError(where, entry.line, f"bad priority {priority!r}")
            if priority == "hint":
                continue
            match = _APP.match(app_text)
            if not match or not balanced(app_text):
                raise ConfError(where, entry.line, f"bad application call {app_text!r}")
            args = split_args(match.group(2)) if match.group(2) is not None else []
            yield Step(section.name, exten, priority, match.group(1), args, entry.line)


def contexts(sections: list[Section]) -> set[str]:
    return {s.name for s in sections if s.name not in ("general", "globals")}


def expand_pattern(pattern: str, limit: int = 100) -> list[str]:
    """Concrete extensions of a small pattern such as ``_10[123]`` or ``_2X``."""
    if not pattern.startswith("_"):
        return [pattern]
    results = [""]
    for token in re.findall(r"\[[^\]]+\]|.", pattern[1:]):
        if token in ".!":
            raise ValueError(f"pattern {pattern} is open-ended")
        if token.startswith("["):
            body, chars = token[1:-1], []
            for m in re.finditer(r"(\d)-(\d)|(\d)", body):
                if m.group(3):
                    chars.append(m.group(3))
                else:
                    chars.extend(str(d) for d in range(int(m.group(1)), int(m.group(2)) + 1))
        else:
            chars = {"X": list("0123456789"), "Z": list("123456789"), "N": list("23456789")}.get(token, [token])
        results = [r + c for r in results for c in chars]
        if len(results) > limit:
            raise ValueError(f"pattern {pattern} is too wide to expand")
    return results
