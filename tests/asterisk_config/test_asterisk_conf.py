"""The checker itself: it must refuse what Asterisk would refuse or misread."""

from __future__ import annotations

import pytest

from tests.asterisk_config.asterisk_conf import (
    ConfError,
    balanced,
    dialplan_steps,
    expand_pattern,
    parse,
    resolved,
    split_args,
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
    with pytest.raises(ValueError):
        expand_pattern("_1.")
