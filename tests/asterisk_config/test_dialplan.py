"""dialplans/extensions.conf: syntax (asterisklint when installed, our checker always) and
the references between it, pjsip.conf and the service's settings."""

from __future__ import annotations

import inspect
import re
import subprocess
from pathlib import Path

import pytest

from cti.quality.feedback import AriFeedbackDialer
from cti.settings import Settings
from cti.telephony import AmiCallback
from ivr.flow.media import PROMPT_DIR
from tests.asterisk_config.asterisk_conf import (
    Step,
    contexts,
    dialplan_globals,
    dialplan_steps,
    expand_pattern,
    find_extension,
    parse,
    parse_file,
    resolved,
    substitute,
)
from tests.asterisk_config.paths import COMPOSE, DIALPLAN, DIALPLAN_TRUNK, asterisklint, conf
from tests.tools import missing_module

SECTIONS = parse_file(DIALPLAN)
STEPS = list(dialplan_steps(SECTIONS, str(DIALPLAN)))
PJSIP = parse_file(conf("pjsip.conf"))
ENDPOINTS = {s.name: resolved(PJSIP, s) for s in PJSIP if not s.is_template and resolved(PJSIP, s).get("type") == "endpoint"}
TRUNK_PJSIP = parse_file(conf("pjsip_trunk.conf"))
TRUNK_ENDPOINTS = {s.name: resolved(TRUNK_PJSIP, s) for s in TRUNK_PJSIP if resolved(TRUNK_PJSIP, s)["type"] == "endpoint"}


def test_asterisklint_finds_nothing(tmp_path: Path) -> None:
    tool = asterisklint()
    if tool is None:
        pytest.skip(missing_module("asterisklint", "asterisklint") or "asterisklint is not on PATH")
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
    # Asterisk's own matching decides, so a target may be taken by a pattern of any width.
    for step in (s for s in STEPS if s.app == "Goto"):
        context, exten = _goto_target(step)
        assert context in contexts(SECTIONS), f"line {step.line}: no context {context}"
        assert find_extension(SECTIONS, STEPS, context, exten), f"line {step.line}: no {exten}@{context}"


def _labels(context: str, exten: str) -> set[str]:
    return {m.group(1) for s in STEPS if (s.context, s.exten) == (context, exten)
            for m in [re.search(r"\((.+)\)$", s.priority)] if m}


def test_gotoif_labels_exist() -> None:
    for step in (s for s in STEPS if s.app == "GotoIf"):
        _, _, targets = step.args[0].partition("?")
        for target in filter(None, targets.split(":")):
            assert "," not in target, f"line {step.line}: only labels of the same extension here"
            assert target in _labels(step.context, step.exten), f"line {step.line}: no label {target}"


def test_includes_exist() -> None:
    for section in SECTIONS:
        for included in section.values("include"):
            assert included in contexts(SECTIONS)


def _is_trunk_dial(step: Step) -> bool:
    """PJSIP/<number>@<endpoint>: a number on the city trunk, not one of our phones."""
    return step.app == "Dial" and "@" in step.args[0] and not is_peer_dial(step)


def is_peer_dial(step: Step) -> bool:
    """A Dial through the trunk to the peer node (tests/asterisk_config/test_nodes_config.py)."""
    return step.app == "Dial" and "@${PEER_NODE}" in step.args[0]


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
    # Every extension that may become ${EXTEN} must be a phone: the pattern is expanded, and a
    # wide or open-ended one fails here.
    for step in (s for s in STEPS if s.app == "Dial" and not _is_trunk_dial(s) and not is_peer_dial(s)):
        for name in _dialled_endpoints(step):
            assert name in ENDPOINTS, f"line {step.line}: no PJSIP endpoint {name}"


def test_endpoint_contexts_exist() -> None:
    for name, endpoint in {**ENDPOINTS, **TRUNK_ENDPOINTS}.items():
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
    assert next(s for s in service_line if s.app == "Stasis").args == ["hotline", "executor"]
    others = [s for s in executors if s.exten != "113"]
    assert all(s.app == "Goto" and _goto_target(s) == ("dispatchers", "100") for s in others)
    assert not [s for s in SECTIONS if s.name == "executors" and s.values("include")]
    assert {e["context"] for n, e in ENDPOINTS.items() if n.startswith("2")} == {"executors"}


def test_prompts_are_mounted_where_the_flow_plays_them_from() -> None:
    # sound:hotline/<name> in language ru -> sounds/ru/hotline/<name>.wav
    assert f"./ivr/prompts:/var/lib/asterisk/sounds/ru/{PROMPT_DIR}:ro" in COMPOSE.read_text(encoding="utf-8")


# ---- calls to residents: contexts callback and callback-out ----------------------------------

def _service_contexts() -> dict[str, str]:
    """The contexts the service sends calls to residents into, as its code names them."""
    callback = inspect.signature(AmiCallback).parameters["context"].default
    endpoint = Settings().feedback.endpoint
    assert endpoint == inspect.signature(AriFeedbackDialer).parameters["endpoint"].default
    local = re.fullmatch(r"Local/\{number\}@([A-Za-z0-9_-]+)", endpoint)
    assert local, endpoint
    return {"callback": callback, "feedback": local.group(1)}


RESIDENT_CONTEXTS = sorted(_service_contexts().values())
TRUNK_CONTEXTS = {s.context for s in STEPS if _is_trunk_dial(s)}
ACCEPTED = ["79161234567", "89161234567", "74951234567", "84232123456", "88001234567"]
EMERGENCY = ["112", "101", "102", "103", "104", "01", "02", "03", "04", "010", "020", "030", "040", "911"]
NOT_RUSSIAN_OR_NOT_A_NUMBER = [
    "7916123456",  # 10 digits
    "791612345678",  # 12 digits
    "9161234567",  # no country code
    "77012345678",  # +7 7xx: Kazakhstan
    "76012345678",  # +7 6xx: Kazakhstan
    "+79161234567",
    "0079161234567",
    "100", "300", "004", "s", "",
]


def _route(context: str, number: str) -> list[Step]:
    """The priorities Asterisk runs for ``number`` in ``context``; none if nothing takes it."""
    found = find_extension(SECTIONS, STEPS, context, number)
    return [s for s in STEPS if (s.context, s.exten) == found] if found else []


def _dial(context: str) -> Step:
    return next(s for s in _route(context, ACCEPTED[0]) if s.app == "Dial")


def _trunk_globals(env: dict[str, str]) -> dict[str, str]:
    """[globals] as Asterisk sees them once render-config.sh has rendered the trunk."""
    text = re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], DIALPLAN_TRUNK.read_text(encoding="utf-8"))
    return dialplan_globals([*SECTIONS, *parse(text, str(DIALPLAN_TRUNK), section="globals")])


def test_the_resident_contexts_are_the_ones_the_service_originates_into() -> None:
    assert _service_contexts() == {"callback": "callback", "feedback": "callback-out"}
    assert set(RESIDENT_CONTEXTS) <= contexts(SECTIONS)
    # ...and they alone reach the trunk: no phone's context can dial the city.
    assert set(RESIDENT_CONTEXTS) == TRUNK_CONTEXTS
    for name, endpoint in {**ENDPOINTS, **TRUNK_ENDPOINTS}.items():
        assert endpoint["context"] not in TRUNK_CONTEXTS, name


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
@pytest.mark.parametrize("number", ACCEPTED)
def test_russian_numbers_go_out_through_the_trunk(context: str, number: str) -> None:
    assert [s.app for s in _route(context, number) if s.app == "Dial"] == ["Dial"]


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
@pytest.mark.parametrize("number", EMERGENCY + NOT_RUSSIAN_OR_NOT_A_NUMBER)
def test_nothing_else_is_dialled(context: str, number: str) -> None:
    assert not [s for s in _route(context, number) if s.app == "Dial"]


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
@pytest.mark.parametrize("number", EMERGENCY)
def test_emergency_numbers_are_refused_by_name(context: str, number: str) -> None:
    # Not merely left to the invalid-extension handler: an extension of their own, so a mis-click
    # on 112 is logged as what it is, and no pattern of the context can take it first.
    found = find_extension(SECTIONS, STEPS, context, number)
    assert found and found[1] != "i"
    assert len(expand_pattern(found[1])) <= 4
    route = _route(context, number)
    assert [s.app for s in route] == ["Log", "Hangup"]
    assert route[0].args[0] == "WARNING" and "emergency" in route[0].args[1]
    assert route[1].args == ["21"]  # call rejected


PREMIUM = ["88091234567", "78091234567", "88031234567", "78031234567", "88011234567", "88061234567"]


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
@pytest.mark.parametrize("number", PREMIUM)
def test_paid_ranges_are_refused(context: str, number: str) -> None:
    """8-803, 8-809 and the rest of the paid non-geographic ranges: toll fraud, never dialled."""
    route = _route(context, number)
    assert [s.app for s in route] == ["Log", "Hangup"], number
    assert route[0].args[0] == "WARNING" and "paid" in route[0].args[1]


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
def test_anything_else_is_refused_with_a_warning(context: str) -> None:
    route = [s for s in STEPS if (s.context, s.exten) == find_extension(SECTIONS, STEPS, context, "i")]
    assert [s.app for s in route] == ["Log", "Hangup"] and route[0].args[0] == "WARNING"


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
@pytest.mark.parametrize(
    ("prefix", "number", "dialled"),
    [
        ("7", "89161234567", "79161234567"),
        ("7", "79161234567", "79161234567"),
        ("8", "79161234567", "89161234567"),
        ("+7", "89161234567", "+79161234567"),
    ],
)
def test_the_number_is_put_in_the_trunks_form(context: str, prefix: str, number: str, dialled: str) -> None:
    env = {"HOTLINE_PUBLIC_NUMBER": "74950000000", "HOTLINE_TRUNK_PREFIX": prefix}
    variables = {**_trunk_globals(env), "EXTEN": number}
    target = substitute(_dial(context).args[0], variables)
    assert target == f"PJSIP/{dialled}@city-trunk"
    assert target.rpartition("@")[2] in TRUNK_ENDPOINTS


def test_the_trunk_prefix_defaults_to_7() -> None:
    assert dialplan_globals(SECTIONS)["TRUNK_PREFIX"] == "7"
    rendered_without = [line for line in DIALPLAN_TRUNK.read_text(encoding="utf-8").splitlines()
                        if "${HOTLINE_TRUNK_PREFIX}" not in line]  # what render-config leaves when unset
    text = re.sub(r"\$\{\w+\}", "74950000000", "\n".join(rendered_without))
    assert dialplan_globals([*SECTIONS, *parse(text, section="globals")])["TRUNK_PREFIX"] == "7"


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
def test_residents_see_the_public_number_and_the_phone_rings_long_enough(context: str) -> None:
    route = _route(context, ACCEPTED[0])
    dial = _dial(context)
    caller_ids = [s for s in route if s.app == "Set" and s.args[0].startswith("CALLERID(num)=")]
    assert [s.args[0] for s in caller_ids] == ["CALLERID(num)=${HOTLINE_PUBLIC_NUMBER}"]
    assert caller_ids[0].line < dial.line
    globals_ = _trunk_globals({"HOTLINE_PUBLIC_NUMBER": "74950000000", "HOTLINE_TRUNK_PREFIX": "7"})
    assert globals_["HOTLINE_PUBLIC_NUMBER"] == "74950000000"
    ring = int(substitute(dial.args[1], globals_))
    assert ring >= 30
    if context == _service_contexts()["feedback"]:
        # The service's originate timeout, not the dialplan, decides how long a rating call rings.
        assert ring > Settings().feedback.ring_seconds


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
def test_without_a_trunk_the_call_fails_with_a_warning(context: str) -> None:
    assert dialplan_globals(SECTIONS)["CITY_TRUNK"] == ""  # nothing rendered: the repository's state
    route = _route(context, ACCEPTED[0])
    check = next(s for s in route if s.app == "GotoIf")
    # Without a public number the resident would see nothing, or their own number.
    assert check.args[0] == '$["${CITY_TRUNK}" = "" | "${HOTLINE_PUBLIC_NUMBER}" = ""]?no-trunk'
    assert check.line < _dial(context).line
    branch = route[[s.priority for s in route].index("n(no-trunk)"):]
    assert [s.app for s in branch] == ["Log", "Hangup"]
    assert branch[0].args[0] == "WARNING" and "no city trunk" in branch[0].args[1]
    assert branch[1].args == ["34"]  # no circuit/channel available


@pytest.mark.parametrize("context", RESIDENT_CONTEXTS)
def test_resident_contexts_never_answer_on_their_own(context: str) -> None:
    # callback-out is the far half of a Local channel: answering it would start the rating call
    # in Stasis before the resident picks up. callback runs on the dispatcher's answered phone.
    apps = {s.app for s in STEPS if s.context in {context, "residents-refused"}}
    assert apps <= {"NoOp", "GotoIf", "Set", "Dial", "Log", "Hangup"}


def test_the_rendered_globals_name_the_trunk_endpoint() -> None:
    globals_ = _trunk_globals({"HOTLINE_PUBLIC_NUMBER": "74950000000", "HOTLINE_TRUNK_PREFIX": "7"})
    assert list(TRUNK_ENDPOINTS) == [globals_["CITY_TRUNK"]]
    assert "callback" not in DIALPLAN_TRUNK.read_text(encoding="utf-8")  # globals only, no contexts


def _into_the_menu(context: str, number: str) -> bool:
    route = _route(context, number)
    return [s.app for s in route] == ["Goto"] and _goto_target(route[0]) == ("hotline-in", "112")


@pytest.mark.parametrize("number", ["74951112233", "84951112233", "4951112233", "+74951112233", "s"])
def test_the_trunks_calls_in_reach_the_voice_menu(number: str) -> None:
    (endpoint,) = TRUNK_ENDPOINTS.values()
    assert endpoint["context"] == "hotline-in"
    assert _into_the_menu("hotline-in", number)


def test_wide_patterns_only_where_checked_number_by_number() -> None:
    # Our phones' contexts are checked by expanding their patterns, and a wide or open-ended one
    # fails here. Two kinds of extension take any number: those of the contexts that dial
    # residents (checked number by number above) and the trunk's way into the voice menu, which
    # dials nothing.
    for step in (s for s in STEPS if s.context not in TRUNK_CONTEXTS):
        try:
            expand_pattern(step.exten)
        except ValueError:
            assert step.context == "hotline-in", f"line {step.line}: {step.exten} in {step.context}"
            assert [s for s in STEPS if (s.context, s.exten) == (step.context, step.exten)] == [step]
            assert step.app == "Goto" and _goto_target(step) == ("hotline-in", "112"), f"line {step.line}"
    for context in ("dispatchers", "executors"):
        assert not find_extension(SECTIONS, STEPS, context, "79161234567"), context


def test_a_resident_reaches_a_dispatcher_when_the_service_is_down() -> None:
    # Stasis() fails at once when the application is not connected: no silence, no hang-up.
    route = _route("hotline-in", "112")
    stasis = next(i for i, s in enumerate(route) if s.app == "Stasis")
    check = route[stasis + 1]
    assert check.app == "GotoIf" and check.args[0] == '$["${STASISSTATUS}" = "FAILED"]?service-down'
    assert route[stasis + 2].app == "Hangup"  # the service let the call go: it is over
    branch = route[[s.priority for s in route].index("n(service-down)"):]
    assert [s.app for s in branch] == ["Log", "Goto"]
    assert branch[0].args[0] == "WARNING"
    assert branch[1].args == ["dispatchers", "100", "1"]
    group = _route("dispatchers", "100")
    assert any(s.app == "Dial" for s in group)
