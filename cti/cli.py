"""The ``hotline`` command: run, migrate, create-user, add-building (and the stand-in's commands)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

import structlog

from journal import JournalError, Role
from journal.migrate import upgrade

from .compose import build_journal
from .logs import configure_logging
from .settings import Settings, SettingsError, load_settings

log = structlog.get_logger(__name__)


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    configure_logging(settings.logging.level, settings.logging.format)
    return settings


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    upgrade(settings.database_url())
    log.info("journal.migrated", database=_safe_url(settings.database_url()))
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    settings = _settings(args)
    password = os.environ.get("HOTLINE_NEW_PASSWORD") or getpass.getpass("Пароль: ")

    async def go() -> int:
        journal = build_journal(settings)
        try:
            user = await journal.people.create_user(
                args.login, args.name or args.login, args.role, password, extension=args.extension
            )
            sys.stdout.write(f"user {user.login} ({user.role}) created, id {user.id}\n")
            return 0
        finally:
            await journal.close()

    upgrade(settings.database_url())
    return asyncio.run(go())


def cmd_add_building(args: argparse.Namespace) -> int:
    settings = _settings(args)

    async def go() -> int:
        journal = build_journal(settings)
        try:
            b = await journal.people.add_building(args.street, args.house, args.building, street_type=args.street_type)
            sys.stdout.write(f"building {b.id}: {b.street_type} {b.street} {b.house} {b.building or ''}\n")
            return 0
        finally:
            await journal.close()

    upgrade(settings.database_url())
    return asyncio.run(go())


def cmd_run(args: argparse.Namespace) -> int:
    from .service import run_service

    settings = _settings(args)
    if args.host:
        settings.server.host = args.host
    if args.port:
        settings.server.port = args.port
    upgrade(settings.database_url())
    asyncio.run(run_service(settings))
    return 0


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]]:
    parser = argparse.ArgumentParser(prog="hotline", description="АДС hotline: telephony backend and journal")
    parser.add_argument("--config", type=lambda p: __import__("pathlib").Path(p), default=None,
                        help="TOML settings file (default: config/hotline.toml)")
    sub = parser.add_subparsers(dest="command", required=True)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {}

    p = sub.add_parser("run", help="start the service")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    handlers["run"] = cmd_run

    sub.add_parser("migrate", help="bring the database to the current schema")
    handlers["migrate"] = cmd_migrate

    p = sub.add_parser("create-user", help="create a staff account (password from HOTLINE_NEW_PASSWORD or prompt)")
    p.add_argument("login")
    p.add_argument("--name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--extension")
    handlers["create-user"] = cmd_create_user

    p = sub.add_parser("add-building", help="add a building the company serves")
    p.add_argument("--street", required=True)
    p.add_argument("--house", required=True)
    p.add_argument("--building")
    p.add_argument("--street-type", default="улица")
    handlers["add-building"] = cmd_add_building

    _add_simulator(sub, handlers)
    return parser, handlers


def _add_simulator(sub: Any, handlers: dict[str, Callable[[argparse.Namespace], int]]) -> None:
    try:
        from pbxsim import cli as sim_cli
    except ImportError:  # the stand-in is optional in a production install
        return
    if hasattr(sim_cli, "add_subcommands") and hasattr(sim_cli, "run"):
        before = set(sub.choices)
        sim_cli.add_subcommands(sub)
        for name in set(sub.choices) - before:
            handlers[name] = sim_cli.run


def main(argv: list[str] | None = None) -> int:
    parser, handlers = build_parser()
    args = parser.parse_args(argv)
    try:
        return handlers[args.command](args)
    except SettingsError as exc:
        sys.stderr.write(f"hotline: configuration error: {exc}\n")
        return 2
    except JournalError as exc:
        sys.stderr.write(f"hotline: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
