"""dialplans/extensions.conf: syntax (asterisklint when installed, our checker always) and
the references between it, pjsip.conf and the service's settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cti.settings import Settings
from ivr.flow.media import PROMPT_DIR
from tests.asterisk_config.asterisk_conf import (
    Step,
    contexts,
    dialplan_steps,
    expand_pattern,
    parse_file,
    resolved,
)
from tests.asterisk_config.paths import COMPOSE, DIALPLAN, conf

SECTIONS = parse_file(DIALPLAN)
STEPS = list(dialplan_steps(SECTIONS, str(DIALPLAN)))
PJSIP = parse_file(conf("pjsip.conf"))
ENDPOINTS = {s.name: resolved(PJSIP, s) for s in PJSIP if not s.is_template and resolved(PJSIP, s).get("type") == "endpoint"}


def asterisklint() -> str | None:
    beside = Path(sys.executable).with_name("asterisklint")
    return str(beside) if beside.exists() else shutil.which("asterisklint")


def test_asterisklint_finds_nothing(tmp_path: Path) -> None:
    tool = asterisklint()
    if tool is None:
        pytest.skip("asterisklint not installed (pip install asterisklint)")
    # asterisklint resolves #include relative to the working directory.
    result = subprocess.run(
        [tool, "dialplan-check", str(DIALPLAN)], capture_output=True, text=True, cwd=DIALPLAN.parent, check=False
    )
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_general_and_globals_come_first() -> None:
    assert [s.name for s in SECTIONS[:2]] == ["general", "globals"]


def test_every_stasis_enters_the_configured_application() -> None:
    stasis = [s for s in STEPS if s.app == "Stasis"]
    assert stasis
    assert {s.args[0] for s in stasis} == {Settings().ari.app}


def test_hotline_channels_speak_russian_before_entering_stasis() -> None:
    for stasis in (s for s in STEPS if s.app == "Stasis"):
        before = [s for s in STEPS if s.context == stasis.context and s.exten == stasis.exten and s.line < stasis.line]
        assert any(s.app == "Set" and s.args == ["CHANNEL(language)=ru"] for s in before)


def _goto_target(step: Step) -> tuple[str, str]:
    assert len(step.args) == 3, f"line {step.line}: Goto(context,exten,priority) expected"
    return step.args[0], step.args[1]


def test_goto_targets_exist() -> None:
    defined = {(s.context, e) for s in STEPS for e in expand_pattern(s.exten)}
    for step in (s for s in STEPS if s.app == "Goto"):
        context, exten = _goto_target(step)
        assert context in contexts(SECTIONS), f"line {step.line}: no context {context}"
        assert (context, exten) in defined, f"line {step.line}: no {exten}@{context}"


def test_includes_exist() -> None:
    for section in SECTIONS:
        for included in section.values("include"):
            assert included in contexts(SECTIONS)


def _dialled_endpoints(step: Step) -> list[str]:
    names = []
    for target in step.args[0].split("&"):
        tech, _, resource = target.partition("/")
        assert tech == "PJSIP", f"line {step.line}: only PJSIP phones here, got {target}"
        if resource == "${EXTEN}":
            names.extend(expand_pattern(step.exten))
        else:
            names.append(resource)
    return names


def test_dialled_phones_exist_in_pjsip() -> None:
    for step in (s for s in STEPS if s.app == "Dial"):
        for name in _dialled_endpoints(step):
            assert name in ENDPOINTS, f"line {step.line}: no PJSIP endpoint {name}"


def test_endpoint_contexts_exist() -> None:
    for name, endpoint in ENDPOINTS.items():
        assert endpoint.get("context") in contexts(SECTIONS), name


def test_dispatchers_group_rings_every_dispatcher() -> None:
    group = next(s for s in STEPS if s.context == "dispatchers" and s.exten == "100" and s.app == "Dial")
    dispatchers = {n for n, e in ENDPOINTS.items() if e["context"] == "dispatchers"}
    assert set(_dialled_endpoints(group)) == dispatchers


def test_executors_can_reach_the_dispatchers_group_and_nothing_else() -> None:
    executors = [s for s in STEPS if s.context == "executors"]
    assert executors
    service_line = [s for s in executors if s.exten == "113"]
    assert [s.app for s in service_line] == ["NoOp", "Set", "Stasis", "Hangup"]
    assert [s for s in service_line if s.app == "Stasis"][0].args == ["hotline", "executor"]
    others = [s for s in executors if s.exten != "113"]
    assert all(s.app == "Goto" and _goto_target(s) == ("dispatchers", "100") for s in others)
    assert not [s for s in SECTIONS if s.name == "executors" and s.values("include")]
    assert {e["context"] for n, e in ENDPOINTS.items() if n.startswith("2")} == {"executors"}


def test_prompts_are_mounted_where_the_flow_plays_them_from() -> None:
    # sound:hotline/<name> in language ru -> sounds/ru/hotline/<name>.wav
    assert f"./ivr/prompts:/var/lib/asterisk/sounds/ru/{PROMPT_DIR}:ro" in COMPOSE.read_text(encoding="utf-8")
