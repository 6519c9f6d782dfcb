"""The checker itself: it must refuse what Asterisk would refuse or misread."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.asterisk_config.asterisk_conf import (
    ConfError,
    balanced,
    dialplan_globals,
    dialplan_steps,
    expand_pattern,
    find_extension,
    parse,
    parse_file,
    pattern_matches,
    pattern_order,
    resolved,
    split_args,
    substitute,
)

GOOD = """
; comment
[general]
static=yes
;-- a block
comment --;
[tpl](!)
type = endpoint
allow = alaw
[101](tpl)
allow = ulaw ; trailing comment
context = a\\;b
[ctx]
exten => _10[123],1,NoOp(x ${EXTEN})
 same => n(label),Dial(PJSIP/${EXTEN},${IF($[1=1]?5:6)})
exten => 100,hint,PJSIP/101
include => ctx
"""


def test_parses_sections_templates_and_dialplan() -> None:
    sections = parse(GOOD)
    assert [s.name for s in sections] == ["general", "tpl", "101", "ctx"]
    endpoint = sections[2]
    assert resolved(sections, endpoint) == {"type": "endpoint", "allow": "ulaw", "context": "a;b"}
    steps = list(dialplan_steps([s for s in sections if s.name == "ctx"]))
    assert [(s.exten, s.priority, s.app) for s in steps] == [("_10[123]", "1", "NoOp"), ("_10[123]", "n(label)", "Dial")]
    assert steps[1].args == ["PJSIP/${EXTEN}", "${IF($[1=1]?5:6)}"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("key = value", "outside any"),
        ("[a\nkey = value", "bad section header"),
        ("[a]\njust words", "expected key = value"),
        ("[a](nothere)\n", "unknown template"),
        ("[a]\n#incldue x.conf", "unknown directive"),
        ("[a]\n;-- never closed", "unterminated"),
    ],
)
def test_config_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ConfError, match=message):
        parse(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[c]\nexten => 1,1,Dial(PJSIP/1", "bad application call"),
        ("[c]\nexten => 1,1,Set(A=${B)", "bad application call"),
        ("[c]\nexten => 1,1", "pattern,priority,application"),
        ("[c]\nexten => 1 2,1,NoOp()", "bad extension pattern"),
        ("[c]\nexten => 1,first,NoOp()", "bad priority"),
        ("[c]\nsame => n,NoOp()", "before any exten"),
        ("[c]\nexten = 1,1,NoOp()", "unexpected"),
        ("[c]\nfoo => bar", "unexpected"),
    ],
)
def test_dialplan_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(ConfError, match=message):
        list(dialplan_steps(parse(text)))


def test_helpers() -> None:
    assert balanced("Dial(PJSIP/${EXTEN},5)") and not balanced("Dial(x") and not balanced('Set(a="b)')
    assert split_args("a,${X(b,c)},d") == ["a", "${X(b,c)}", "d"]
    assert expand_pattern("_10[123]") == ["101", "102", "103"]
    assert expand_pattern("_2[0-1]X")[:3] == ["200", "201", "202"]
    assert expand_pattern("112") == ["112"]
    with pytest.raises(ValueError, match="open-ended"):
        expand_pattern("_1.")
    with pytest.raises(ValueError, match="too wide"):
        expand_pattern("_[78]XXXXXXXXXX")
    assert expand_pattern("_1-0-[12]") == ["101", "102"]  # '-' only separates, for the eye


def test_includes_are_followed_and_continue_the_section(tmp_path: Path) -> None:
    (tmp_path / "main.conf").write_text("[globals]\nA=1\n#tryinclude extra.conf\n#tryinclude absent.conf\n[ctx]\n")
    (tmp_path / "extra.conf").write_text("; no header: these are globals\nB=${A}2\nA=3\n")
    sections = parse_file(tmp_path / "main.conf")
    assert [s.name for s in sections] == ["globals", "ctx"]
    assert dialplan_globals(sections) == {"A": "3", "B": "12"}  # in order, the last one winning
    assert [e.key for e in parse_file(tmp_path / "extra.conf", section="globals")[0].entries] == ["B", "A"]
    with pytest.raises(ConfError, match="outside any"):
        parse_file(tmp_path / "extra.conf")
    (tmp_path / "strict.conf").write_text("[a]\n#include absent.conf\n")
    with pytest.raises(ConfError, match="missing"):
        parse_file(tmp_path / "strict.conf")


@pytest.mark.parametrize(
    ("pattern", "number", "matches"),
    [
        ("_[78]XXXXXXXXXX", "79161234567", True),
        ("_[78]XXXXXXXXXX", "89161234567", True),
        ("_[78]XXXXXXXXXX", "69161234567", False),
        ("_[78]XXXXXXXXXX", "7916123456", False),
        ("_[78]XXXXXXXXXX", "791612345678", False),
        ("_NXX", "212", True),
        ("_NXX", "112", False),
        ("_ZX", "10", True),
        ("_ZX", "01", False),
        ("_nxx", "212", True),  # Asterisk takes the letters in either case
        ("_0[1-4]", "03", True),
        ("_0[1-4]", "05", False),
        ("_1.", "1", False),
        ("_1.", "12345", True),
        ("_1!", "1", True),
        ("_+X.", "+79161234567", True),
        ("_X.", "+79161234567", False),
        ("112", "112", True),
        ("112", "1120", False),
        ("i", "i", True),
    ],
)
def test_pattern_matches(pattern: str, number: str, matches: bool) -> None:
    assert pattern_matches(pattern, number) is matches


def test_pattern_order_is_asterisks() -> None:
    # Position by position: a narrower set first, so _1. comes before _NXX.
    ordered = ["112", "_112", "_11[23]", "_1XX", "_1.", "_NXX", "_X.", "_X!"]
    assert sorted(reversed(ordered), key=pattern_order) == ordered  # noqa: C414 (input order must not matter)


DIALPLAN = """
[general]
[globals]
[out]
exten => _[78]XXXXXXXXXX,1,Dial(PJSIP/${EXTEN}@trunk)
exten => _1XX,1,Hangup(1)
exten => 112,1,Hangup(2)
include => more
[more]
exten => _X.,1,Hangup(3)
exten => i,1,Hangup(4)
include => out
"""


@pytest.mark.parametrize(
    ("number", "found"),
    [
        ("79161234567", ("out", "_[78]XXXXXXXXXX")),
        ("112", ("out", "112")),  # a literal before any pattern
        ("101", ("out", "_1XX")),
        ("1011", ("more", "_X.")),  # the context's own first, then its includes
        ("+7", None),
    ],
)
def test_find_extension(number: str, found: tuple[str, str] | None) -> None:
    sections = parse(DIALPLAN)
    steps = list(dialplan_steps(sections))
    assert find_extension(sections, steps, "out", number) == found  # include loops end too


def test_substitute() -> None:
    variables = {"EXTEN": "89161234567", "TRUNK_PREFIX": "+7"}
    assert substitute("PJSIP/${TRUNK_PREFIX}${EXTEN:1}@${TRUNK}", variables) == "PJSIP/+79161234567@"
    assert substitute("${EXTEN:0:1}|${EXTEN:-4}|${EXTEN:1:-4}", variables) == "8|4567|916123"
    assert substitute("${CALLERID(num)}", variables) == "${CALLERID(num)}"
