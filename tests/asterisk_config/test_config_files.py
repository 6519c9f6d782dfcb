"""config/asterisk/*: every file parses, and the settings the hotline relies on are there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cti.settings import Settings
from tests.asterisk_config.asterisk_conf import parse_file, resolved
from tests.asterisk_config.paths import COMPOSE, CONF_DIR, DIALPLAN, conf, conf_files, included_in, templates


@pytest.mark.parametrize("path", conf_files(), ids=lambda p: p.name)
def test_file_parses(path: Path) -> None:
    assert parse_file(path, section=included_in(path))


def section(name: str, file: str) -> dict[str, str]:
    sections = parse_file(conf(file))
    found = [s for s in sections if s.name == name and not s.is_template]
    assert found, f"no [{name}] in {file}"
    return resolved(sections, found[0])


def test_expected_files_exist() -> None:
    for name in ("ari.conf", "http.conf", "manager.conf", "pjsip.conf", "modules.conf", "musiconhold.conf", "rtp.conf"):
        assert conf(name).exists(), name
    for name in ("Dockerfile", "render-config.sh", "docker-entrypoint.sh", "env.example"):
        assert (CONF_DIR / name).exists(), name


def test_ari_user_matches_the_service_settings() -> None:
    assert section("general", "ari.conf")["enabled"] == "yes"
    user = section(Settings().ari.username, "ari.conf")
    assert user["type"] == "user" and user["read_only"] == "no"


def test_http_serves_ari_on_8088() -> None:
    http = section("general", "http.conf")
    assert (http["enabled"], http["bindport"]) == ("yes", "8088")


def test_ami_user_matches_the_service_settings() -> None:
    settings = Settings().ami
    general = section("general", "manager.conf")
    assert (general["enabled"], general["port"]) == ("yes", str(settings.port))
    user = section(settings.username, "manager.conf")
    assert "originate" in user["write"] and "call" in user["read"]


MODULES_NEEDED = {
    "pbx_config.so", "app_dial.so", "app_stasis.so", "func_channel.so", "func_callerid.so",
    "chan_pjsip.so", "res_pjsip.so", "res_pjsip_session.so", "res_pjsip_pubsub.so",
    "res_pjproject.so", "res_sorcery_config.so", "res_sorcery_memory.so", "res_sorcery_astdb.so",
    "res_pjsip_sdp_rtp.so", "res_pjsip_authenticator_digest.so", "res_pjsip_registrar.so",
    "res_pjsip_endpoint_identifier_user.so", "res_rtp_asterisk.so", "format_wav.so",
    "codec_alaw.so", "codec_ulaw.so", "res_musiconhold.so", "bridge_simple.so",
    "res_http_websocket.so", "res_ari.so", "res_stasis.so", "res_stasis_playback.so",
    "res_stasis_recording.so", "res_ari_channels.so", "res_ari_bridges.so",
    "res_ari_recordings.so", "res_ari_playbacks.so", "res_ari_events.so", "res_ari_model.so",
    # the city trunk and the refusals of the callback contexts
    "res_pjsip_outbound_registration.so", "res_pjsip_outbound_authenticator_digest.so",
    "res_pjsip_endpoint_identifier_ip.so", "app_verbose.so",
}


def test_modules_load_only_an_explicit_list_that_covers_our_use() -> None:
    modules = section("modules", "modules.conf")
    assert modules["autoload"] == "no"
    loaded = {v for s in parse_file(conf("modules.conf")) for v in s.values("load")}
    assert not MODULES_NEEDED - loaded


def test_pjsip_references_resolve() -> None:
    sections = parse_file(conf("pjsip.conf"))
    by_type: dict[str, set[str]] = {}
    for s in sections:
        if not s.is_template:
            by_type.setdefault(resolved(sections, s).get("type", "?"), set()).add(s.name)
    assert by_type["transport"] == {"transport-udp"}
    assert section("transport-udp", "pjsip.conf")["protocol"] == "udp"
    for name in by_type["endpoint"]:
        endpoint = section(name, "pjsip.conf")
        assert endpoint["transport"] in by_type["transport"]
        assert endpoint["auth"] in by_type["auth"] and endpoint["aors"] in by_type["aor"]
        assert endpoint["language"] == "ru"


def _trunk() -> dict[str, dict[str, str]]:
    """pjsip_trunk.conf's sections by type (one of each)."""
    sections = parse_file(conf("pjsip_trunk.conf"))
    by_type: dict[str, dict[str, str]] = {}
    for s in sections:
        values = resolved(sections, s)
        assert values["type"] not in by_type, f"a second {values['type']} in the trunk"
        by_type[values["type"]] = {"name": s.name, **values}
    return by_type


def test_city_trunk_registers_authenticates_and_lands_in_hotline_in() -> None:
    trunk = _trunk()
    assert set(trunk) == {"auth", "registration", "aor", "endpoint", "identify"}
    auth, reg, aor, endpoint = trunk["auth"], trunk["registration"], trunk["aor"], trunk["endpoint"]
    phones = parse_file(conf("pjsip.conf"))
    transports = {s.name for s in phones if resolved(phones, s).get("type") == "transport"}
    # The name the dialplan dials (CITY_TRUNK) is checked in test_dialplan.
    assert endpoint["name"] == "city-trunk"
    assert (endpoint["context"], endpoint["language"]) == ("hotline-in", "ru")
    assert endpoint["disallow"] == "all" and set(endpoint["allow"].split(",")) == {"alaw", "ulaw"}
    assert endpoint["aors"] == aor["name"] and endpoint["outbound_auth"] == auth["name"]
    assert "auth" not in endpoint, "the company's calls in are identified, not challenged"
    assert endpoint["transport"] in transports and reg["transport"] in transports
    assert (reg["outbound_auth"], reg["endpoint"], reg["line"]) == (auth["name"], endpoint["name"], "yes")
    assert trunk["identify"]["endpoint"] == endpoint["name"]
    assert (auth["auth_type"], auth["username"], auth["password"]) == (
        "userpass", "${HOTLINE_TRUNK_USER}", "${HOTLINE_TRUNK_PASSWORD}")
    for uri in (reg["server_uri"], reg["client_uri"], aor["contact"], trunk["identify"]["match"]):
        assert "${HOTLINE_TRUNK_HOST}" in uri
    # Loose routing through the proxy; ';' escaped, or Asterisk would cut the value there.
    assert "outbound_proxy = sip:${HOTLINE_TRUNK_PROXY}\\;lr" in conf("pjsip_trunk.conf").read_text(encoding="utf-8")


def test_pjsip_includes_the_trunk_and_the_dialplan_its_globals() -> None:
    assert re.search(r"^#tryinclude pjsip_trunk\.conf$", conf("pjsip.conf").read_text(encoding="utf-8"), re.M)
    dialplan = DIALPLAN.read_text(encoding="utf-8")
    globals_body = dialplan.split("[globals]", 1)[1].split("\n[", 1)[0]
    assert re.search(r"^#tryinclude extensions_trunk\.conf$", globals_body, re.M)


def _template_variables() -> set[str]:
    names: set[str] = set()
    for template in templates():
        names |= set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", template.read_text(encoding="utf-8")))
        names |= set(re.findall(r"^;render-config: if-set (\w+)$", template.read_text(encoding="utf-8"), re.M))
    return names


def test_every_template_variable_is_documented_and_passed_to_asterisk() -> None:
    documented = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", (CONF_DIR / "env.example").read_text(encoding="utf-8"), re.M))
    compose = COMPOSE.read_text(encoding="utf-8")
    asterisk_env = compose.split("  asterisk:", 1)[1].split("\n  hotline:", 1)[0]
    passed = set(re.findall(r"^\s+([A-Z][A-Z0-9_]*):", asterisk_env, re.M))
    names = _template_variables()
    assert {"HOTLINE_TRUNK_HOST", "HOTLINE_TRUNK_PASSWORD", "HOTLINE_PUBLIC_NUMBER"} <= names
    assert not names - documented, "missing in env.example"
    assert not names - passed, "not passed to the asterisk service in compose"


def test_rtp_range_is_published_one_to_one() -> None:
    rtp = section("general", "rtp.conf")
    mapping = f'"{rtp["rtpstart"]}-{rtp["rtpend"]}:{rtp["rtpstart"]}-{rtp["rtpend"]}/udp"'
    compose = COMPOSE.read_text(encoding="utf-8")
    assert mapping in compose
    assert '"5060:5060/udp"' in compose
    assert re.search(r'"(127\.0\.0\.1:)?8088:8088"', compose) and re.search(r'"(127\.0\.0\.1:)?5038:5038"', compose)


def test_hold_music_comes_from_the_debian_package() -> None:
    moh = section("default", "musiconhold.conf")
    assert (moh["mode"], moh["directory"]) == ("files", "/usr/share/asterisk/moh")
    assert "asterisk-moh-opsound-wav" in (CONF_DIR / "Dockerfile").read_text(encoding="utf-8")


def test_service_is_pointed_at_asterisk_in_compose() -> None:
    compose = COMPOSE.read_text(encoding="utf-8")
    for variable in ("HOTLINE_ARI_URL", "HOTLINE_ARI_PASSWORD", "HOTLINE_AMI_HOST", "HOTLINE_AMI_PASSWORD"):
        assert re.search(rf"^\s+{variable}:", compose, re.M), variable
