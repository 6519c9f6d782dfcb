"""A small reader and checker for Asterisk's configuration file format.

asterisklint checks extensions.conf well but knows nothing of pjsip.conf, ari.conf and
the rest, nor of how our files refer to each other. This module parses any of them into
sections of ``key = value`` / ``key => value`` entries (with ``[name](!)`` templates and
``[name](tpl)`` inheritance, ``;`` comments, ``;-- --;`` block comments) and checks the
dialplan's own syntax: ``exten => pattern,priority,App(args)`` with balanced brackets.
``#include`` / ``#tryinclude`` are followed as Asterisk does (relative to the including
file's directory, continuing the current section).

For the dialplan it also answers the question cross-reference checks need: which extension
of a context takes a given number (``pattern_matches``, ``find_extension``, Asterisk's own
order of patterns), so that a context dialling out through a trunk with an 11-digit pattern
can be checked number by number instead of being expanded.
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


_INCLUDE = re.compile(r"#(include|tryinclude)\s+\"?([^\"]+?)\"?$")


def parse(text: str, where: str = "<conf>", *, base: Path | None = None, section: str | None = None) -> list[Section]:
    """Sections of ``text``. With ``base``, included files are read from that directory;
    ``section`` names the section the text continues (a file included inside one)."""
    sections: list[Section] = [Section(section, 0)] if section else []
    _parse_into(sections, text, where, base)
    for s in sections:
        for parent in s.inherits:
            if not any(t.name == parent and t.is_template for t in sections):
                raise ConfError(where, s.line, f"[{s.name}] inherits unknown template {parent!r}")
    return sections


def _parse_into(sections: list[Section], text: str, where: str, base: Path | None, depth: int = 0) -> None:
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
            include = _INCLUDE.match(line)
            if include and base is not None:
                path = base / include.group(2)
                if path.exists():
                    if depth > 8:
                        raise ConfError(where, number, "#include nested too deep")
                    _parse_into(sections, path.read_text(encoding="utf-8"), str(path), base, depth + 1)
                elif include.group(1) == "include":
                    raise ConfError(where, number, f"#include of missing {path}")
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


def parse_file(path: Path, *, section: str | None = None) -> list[Section]:
    return parse(path.read_text(encoding="utf-8"), str(path), base=path.parent, section=section)


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
    """Concrete extensions of a small pattern such as ``_10[123]`` or ``_2X``: what a
    cross-reference check needs when ``${EXTEN}`` names a phone. Open-ended or wide patterns
    are refused; a context that only dials out through a trunk is checked with
    ``find_extension`` instead."""
    if not pattern.startswith("_"):
        return [pattern]
    results = [""]
    for chars in _pattern_positions(pattern):
        if chars in (".", "!"):
            raise ValueError(f"pattern {pattern} is open-ended")
        results = [r + c for r in results for c in chars]
        if len(results) > limit:
            raise ValueError(f"pattern {pattern} is too wide to expand")
    return results


# ---- which extension takes a number -----------------------------------------------------------

_PATTERN_TOKEN = re.compile(r"\[[^\]]*\]|.")
_CLASSES = {"X": "0123456789", "Z": "123456789", "N": "23456789"}
# Asterisk's weights for the wildcards (pbx.c ext_cmp_pattern_pos): after any character set.
_ONE_OR_MORE, _ZERO_OR_MORE = 0x18000, 0x28000


def _pattern_positions(pattern: str) -> list[str]:
    """One entry a position: the characters it accepts, or "." / "!" for the wildcards."""
    positions = []
    for token in _PATTERN_TOKEN.findall(pattern[1:]):
        if token == "-":  # a separator for the eye, ignored by Asterisk
            continue
        if token in ".!":
            positions.append(token)
        elif token.startswith("["):
            chars: set[str] = set()
            body, i = token[1:-1], 0
            while i < len(body):
                if i + 2 < len(body) and body[i + 1] == "-":
                    chars.update(chr(c) for c in range(ord(body[i]), ord(body[i + 2]) + 1))
                    i += 3
                else:
                    chars.add(body[i])
                    i += 1
            if not chars:
                raise ValueError(f"pattern {pattern} has an empty set")
            positions.append("".join(sorted(chars)))
        else:
            positions.append(_CLASSES.get(token.upper(), token))
    return positions


def pattern_matches(pattern: str, number: str) -> bool:
    """Whether extension ``pattern`` (``_`` X Z N [...] . ! or a literal) takes ``number``."""
    if not pattern.startswith("_"):
        return pattern == number
    regex = "".join(
        ".+" if p == "." else ".*" if p == "!" else "[" + "".join(re.escape(c) for c in p) + "]"
        for p in _pattern_positions(pattern)
    )
    return re.fullmatch(regex, number) is not None


def pattern_order(pattern: str) -> tuple[int, tuple[tuple[int, str], ...], str]:
    """Asterisk's order of extensions: literals first, then patterns position by position,
    a narrower set before a wider one, the wildcards last. The first that matches wins."""
    if not pattern.startswith("_"):
        return (0, (), pattern)
    keys = []
    for p in _pattern_positions(pattern):
        if p == ".":
            keys.append((_ONE_OR_MORE, ""))
        elif p == "!":
            keys.append((_ZERO_OR_MORE, ""))
        else:
            keys.append(((len(p) << 8) | ord(p[0]), p))
    return (1, tuple(keys), "")


def find_extension(sections: list[Section], steps: list[Step], context: str, number: str,
                   _seen: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(context, extension) that Asterisk runs for ``number`` dialled in ``context``: the
    context's own extensions first, then its includes in order."""
    own = sorted({s.exten for s in steps if s.context == context}, key=pattern_order)
    for exten in own:
        if pattern_matches(exten, number):
            return context, exten
    section = next((s for s in sections if s.name == context), None)
    for included in section.values("include") if section else []:
        if included not in _seen:
            found = find_extension(sections, steps, included, number, _seen | {context})
            if found:
                return found
    return None


def dialplan_globals(sections: list[Section]) -> dict[str, str]:
    """[globals] as Asterisk sets them at load: in order, each value substituted with the
    globals before it, the last of a name winning."""
    values: dict[str, str] = {}
    for section in (s for s in sections if s.name == "globals"):
        for entry in section.entries:
            values[entry.key] = substitute(entry.value, values)
    return values


_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::(-?\d+)(?::(-?\d+))?)?\}")


def substitute(text: str, variables: dict[str, str]) -> str:
    """``${NAME}`` and ``${NAME:offset[:length]}`` as Asterisk expands them; unset is empty.
    Functions (``${CALLERID(num)}``) are left as written."""

    def one(match: re.Match[str]) -> str:
        value = variables.get(match.group(1), "")
        if match.group(2) is None:
            return value
        offset = int(match.group(2))
        value = value[offset:]
        if match.group(3) is not None:
            value = value[: int(match.group(3))]  # a negative length drops that many from the end
        return value

    return _VARIABLE.sub(one, text)
