"""The shipped deployment files agree with the service: the systemd units run commands the
`hotline` command has, nginx proxies the console's port with the websocket upgrade and lets
its largest upload through, and the operator's guide names every shipped file."""

from __future__ import annotations

import re
from pathlib import Path

from cti.app.cli import build_parser
from cti.settings import Settings
from cti.web.app import MAX_UPLOAD

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def unit(name: str) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(value.strip())
    return values


def hotline_args(command: str) -> list[str]:
    m = re.search(r"/opt/hotline/\.venv/bin/hotline ([^']+)", command)
    assert m, command
    return m.group(1).replace("$(date +%%Y%%m%%d-%%H%%M)", "20261130").split()


def test_the_service_units_run_real_commands() -> None:
    parser, handlers = build_parser()
    service = unit("hotline.service")
    for command in service["ExecStartPre"] + service["ExecStart"]:
        args = parser.parse_args(hotline_args(command))
        assert args.command in handlers
    assert [hotline_args(c)[0] for c in service["ExecStartPre"]] == ["migrate"]
    assert "HOTLINE_CONFIG=/etc/hotline/hotline.toml" in service["Environment"]
    backup = unit("hotline-backup.service")
    args = parser.parse_args(hotline_args(backup["ExecStart"][0]))
    assert args.command == "backup" and args.output.startswith("/var/backups/hotline/")
    assert unit("hotline-backup.timer")["OnCalendar"] == ["*-*-* 03:30:00"]


def test_nginx_proxies_the_console_and_its_websocket() -> None:
    conf = (DEPLOY / "nginx-hotline.conf").read_text(encoding="utf-8")
    port = Settings().server.port
    assert set(re.findall(r"proxy_pass http://127\.0\.0\.1:(\d+);", conf)) == {str(port)}
    ws = conf[conf.index("location = /ws"):]
    ws = ws[:ws.index("}")]
    assert "proxy_set_header Upgrade $http_upgrade;" in ws and "proxy_set_header Host $host;" in ws
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    assert size and int(size.group(1)) * 1024 * 1024 >= MAX_UPLOAD
    assert "ssl_certificate " in conf and "return 301 https://" in conf


def test_the_guide_names_every_shipped_file() -> None:
    guide = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    for path in DEPLOY.iterdir():
        assert f"deploy/{path.name}" in guide, path.name
