"""The ``hotline`` command: run, migrate, staff and buildings for scripts (create-user,
reset-password, deactivate-user, duty, import, export, add-building), and the stand-in's commands."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import structlog

from cti.app.compose import build_journal
from cti.app.instance import single_instance
from cti.logs import configure_logging
from cti.settings import Settings, SettingsError, load_settings
from journal import Actor, Journal, JournalError, Role
from journal.clock import utcnow
from journal.migrate import upgrade
from journal.models import User
from journal.passwords import password_problem

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


def _new_password(login: str, variable: str = "HOTLINE_NEW_PASSWORD") -> str:
    """A password from the environment or typed twice; refused (with the reason) if weak."""
    password = os.environ.get(variable)
    if not password:
        if not sys.stdin.isatty():
            raise JournalError(f"нет пароля: задайте {variable} или запустите команду в терминале")
        password = getpass.getpass("Пароль: ")
        if getpass.getpass("Пароль ещё раз: ") != password:
            raise JournalError("пароли не совпадают")
    if problem := password_problem(password, login):
        raise JournalError(f"пароль отклонён: {problem}")
    return password


def cmd_create_user(args: argparse.Namespace) -> int:
    settings = _settings(args)
    password = _new_password(args.login)

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


def cmd_set_password(args: argparse.Namespace) -> int:
    settings = _settings(args)
    password = _new_password(args.login)

    async def go() -> int:
        journal = build_journal(settings)
        try:
            user = await journal.people.user_by_login(args.login)
            await journal.people.set_password(user.id, password)
            log.warning("user.password_set", login=user.login, user_id=user.id)
            sys.stdout.write(f"password of {user.login} changed; their sessions are ended\n")
            return 0
        finally:
            await journal.close()

    upgrade(settings.database_url())
    return asyncio.run(go())


def cmd_end_sessions(args: argparse.Namespace) -> int:
    """Log a user out everywhere (a lost phone, a dismissal); with --disable the account is
    switched off too. Open consoles close within seconds (they re-check their session)."""
    settings = _settings(args)

    async def go() -> int:
        journal = build_journal(settings)
        try:
            user = await journal.people.user_by_login(args.login)
            await journal.sessions.end_all(user.id)
            if args.disable:
                await journal.people.update_user(user.id, active=False)
            log.warning("sessions.ended", login=user.login, user_id=user.id, by="cli", disabled=args.disable)
            sys.stdout.write(f"sessions of {user.login} ended{' and the account disabled' if args.disable else ''}\n")
            return 0
        finally:
            await journal.close()

    upgrade(settings.database_url())
    return asyncio.run(go())


def cmd_init(args: argparse.Namespace) -> int:
    """The first administrator of an empty journal, from HOTLINE_ADMIN_LOGIN and
    HOTLINE_ADMIN_PASSWORD or typed in; never a known password."""
    settings = _settings(args)
    upgrade(settings.database_url())

    async def go() -> int:
        journal = build_journal(settings)
        try:
            user = await create_first_admin(journal, interactive=sys.stdin.isatty())
            if user is None:
                sys.stdout.write("the journal already has users: nothing to do\n")
            else:
                sys.stdout.write(f"administrator {user.login} created, id {user.id}\n")
            return 0
        finally:
            await journal.close()

    return asyncio.run(go())


async def create_first_admin(journal: Journal, *, interactive: bool,
                             environ: Mapping[str, str] | None = None) -> User | None:
    """None if the journal has users already; else the new administrator."""
    environ = os.environ if environ is None else environ
    if await journal.people.users():
        return None
    login = environ.get("HOTLINE_ADMIN_LOGIN", "")
    if not login and interactive:
        login = (await asyncio.to_thread(input, "Логин администратора: ")).strip()
    if not login or (not environ.get("HOTLINE_ADMIN_PASSWORD") and not interactive):
        raise JournalError("в журнале нет пользователей: задайте HOTLINE_ADMIN_LOGIN и HOTLINE_ADMIN_PASSWORD "
                           "(или запустите `hotline init` в терминале), чтобы создать первого администратора")
    password = _new_password(login, "HOTLINE_ADMIN_PASSWORD")
    user = await journal.people.create_user(login, "Администратор", "admin", password)
    log.warning("user.first_admin_created", login=login, user_id=user.id)
    return user


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


def _cli_actor() -> Actor:
    """Who, in the audit log, for a change made with the command: the operating-system user."""
    return Actor(f"hotline (системный пользователь {getpass.getuser()})")


def _with_journal(args: argparse.Namespace, work: Callable[[Journal], Awaitable[int]]) -> int:
    settings = _settings(args)

    async def go() -> int:
        journal = build_journal(settings)
        try:
            return await work(journal)
        finally:
            await journal.close()

    upgrade(settings.database_url())
    return asyncio.run(go())


def cmd_import(args: argparse.Namespace) -> int:
    """Check or import a CSV/XLSX of buildings or residents: all rows or, with a bad row, none."""
    from cti.tables import TableError, read_table

    data = Path(args.file).read_bytes()
    try:
        table = read_table(args.kind, data, args.file)
    except TableError as exc:
        sys.stderr.write(f"hotline: {exc}\n")
        return 1

    async def work(journal: Journal) -> int:
        run = journal.estate.import_buildings if args.kind == "buildings" else journal.estate.import_residents
        report = await run(_cli_actor(), table.rows, apply=not args.dry_run)
        for e in report.errors:
            sys.stdout.write(f"строка {e.row}: {e.field}: {e.message}\n")
        state = "импортировано" if report.applied else ("проверено" if report.ok else "не импортировано")
        sys.stdout.write(f"{state}: строк {report.rows}, новых {report.created}, обновлено {report.updated}, "
                         f"ошибок {len(report.errors)}\n")
        return 0 if report.ok else 1

    return _with_journal(args, work)


def cmd_export(args: argparse.Namespace) -> int:
    from cti.tables import write_table
    from journal.estate import building_row, resident_row

    async def work(journal: Journal) -> int:
        if args.kind == "buildings":
            rows = [building_row(b) for b in await journal.estate.buildings()]
        else:
            rows = [resident_row(r, b) for r, b in await journal.estate.residents(limit=10_000_000)]
        body = write_table(args.kind, rows, args.format)
        if args.output == "-":
            sys.stdout.buffer.write(body)
        else:
            await asyncio.to_thread(Path(args.output).write_bytes, body)
        return 0

    return _with_journal(args, work)


def cmd_reset_password(args: argparse.Namespace) -> int:
    async def work(journal: Journal) -> int:
        user = await journal.staff.by_login(args.login)
        password = await journal.staff.reset_password(_cli_actor(), user.id)
        sys.stdout.write(f"временный пароль для {user.login}: {password} (сменить при входе)\n")
        return 0

    return _with_journal(args, work)


def cmd_set_active(args: argparse.Namespace) -> int:
    async def work(journal: Journal) -> int:
        user = await journal.staff.by_login(args.login)
        await journal.staff.update_user(_cli_actor(), user.id, {"is_active": args.command == "activate-user"})
        sys.stdout.write(f"{user.login}: {'включён' if args.command == 'activate-user' else 'отключён'}\n")
        return 0

    return _with_journal(args, work)


def cmd_duty(args: argparse.Namespace) -> int:
    async def work(journal: Journal) -> int:
        tz = journal.config.tz
        for d in await journal.staff.duty(utcnow(), tz):
            now = f"на смене до {d.now.end.astimezone(tz):%d.%m %H:%M}" if d.now else "не на смене"
            nxt = f"следующая смена {d.next.start.astimezone(tz):%d.%m %H:%M}" if d.next else "смен нет"
            sys.stdout.write(f"{d.user.login}\t{d.user.full_name}\t{now}\t{nxt}\n")
        return 0

    return _with_journal(args, work)


def cmd_sla(args: argparse.Namespace) -> int:
    """Check a deadline rules file, or make it the version in force (as the browser's page does)."""
    text = Path(args.file).read_text(encoding="utf-8")

    async def work(journal: Journal) -> int:
        policy = journal.sla_versions.check(text)
        if args.command == "sla-check":
            sys.stdout.write(f"правил {len(policy.rules)}: ошибок нет\n")
            return 0
        version = await journal.sla_versions.save(_cli_actor(), text, args.comment)
        sys.stdout.write(f"версия {version} в силе для новых заявок\n")
        return 0

    return _with_journal(args, work)


def cmd_backup(args: argparse.Namespace) -> int:
    from cti.app.backup import BackupError, Places, backup

    settings = _settings(args)
    target = Path(args.output or f"hotline-backup-{utcnow():%Y%m%d-%H%M%S}.tar.gz")
    try:
        manifest = backup(Places.of(settings), target, version=_version())
    except BackupError as exc:
        sys.stderr.write(f"hotline: backup: {exc}\n")
        return 1
    log.info("backup.written", path=str(target), database=manifest["database"], files=manifest["files"])
    sys.stdout.write(f"{target}: {manifest['database']} journal, {manifest['files']} files\n")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from cti.app.backup import BackupError, Places, restore

    settings = _settings(args)
    try:
        manifest = restore(Places.of(settings), Path(args.archive), force=args.force)
    except BackupError as exc:
        sys.stderr.write(f"hotline: restore: {exc}\n")
        return 1
    # A backup of an older version is brought to the current schema.
    upgrade(settings.database_url())
    log.info("backup.restored", path=args.archive, database=manifest["database"], files=manifest["files"])
    sys.stdout.write(f"restored {manifest['database']} journal of {manifest['created_at']}, "
                     f"{manifest['files']} files\n")
    return 0


def _version() -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version("hotline")
    except importlib.metadata.PackageNotFoundError:
        return ""


def cmd_run(args: argparse.Namespace) -> int:
    from cti.app.service import run_service

    settings = _settings(args)
    if args.host:
        settings.server.host = args.host
    if args.port:
        settings.server.port = args.port
    with single_instance(settings):  # one service per SQLite journal; any number on PostgreSQL
        upgrade(settings.database_url())
        if not settings.server.demo:
            asyncio.run(_first_admin_at_start(settings))
        asyncio.run(run_service(settings))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from cti.app.worker import run_worker

    settings = _settings(args)
    upgrade(settings.database_url())
    return asyncio.run(run_worker(settings, concurrency=args.concurrency, worker_id=args.id, drain=args.drain))


async def _first_admin_at_start(settings: Settings) -> None:
    """Production on an empty journal: the first administrator from the environment or typed in
    (never a known password); without either the service starts and says how to make one."""
    journal = build_journal(settings)
    try:
        if await journal.people.users():
            return
        if not os.environ.get("HOTLINE_ADMIN_LOGIN") and not sys.stdin.isatty():
            log.warning("service.no_users", hint="create the first administrator: HOTLINE_ADMIN_LOGIN=... "
                        "HOTLINE_ADMIN_PASSWORD=... hotline init")
            return
        await create_first_admin(journal, interactive=sys.stdin.isatty())
    finally:
        await journal.close()


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

    p = sub.add_parser("worker", help="a transcription worker process (any number, any machine; docs/scaling.md)")
    p.add_argument("--concurrency", type=int, help="recordings decoded at once (default: asr.workers)")
    p.add_argument("--id", help="this worker's name in the journal (default: host:pid)")
    p.add_argument("--drain", action="store_true", help="stop once the queue is empty")
    handlers["worker"] = cmd_worker

    sub.add_parser("migrate", help="bring the database to the current schema")
    handlers["migrate"] = cmd_migrate

    p = sub.add_parser("create-user", help="create a staff account (password from HOTLINE_NEW_PASSWORD or prompt)")
    p.add_argument("login")
    p.add_argument("--name")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--extension")
    handlers["create-user"] = cmd_create_user

    sub.add_parser("init", help="create the first administrator (HOTLINE_ADMIN_LOGIN / HOTLINE_ADMIN_PASSWORD or prompt)")
    handlers["init"] = cmd_init

    p = sub.add_parser("set-password", help="change a user's password (HOTLINE_NEW_PASSWORD or prompt); ends their sessions")
    p.add_argument("login")
    handlers["set-password"] = cmd_set_password

    p = sub.add_parser("end-sessions", help="log a user out everywhere")
    p.add_argument("login")
    p.add_argument("--disable", action="store_true", help="and switch the account off")
    handlers["end-sessions"] = cmd_end_sessions

    p = sub.add_parser("add-building", help="add a building the company serves")
    p.add_argument("--street", required=True)
    p.add_argument("--house", required=True)
    p.add_argument("--building")
    p.add_argument("--street-type", default="улица")
    handlers["add-building"] = cmd_add_building

    p = sub.add_parser("import", help="check (--dry-run) or import buildings/residents from CSV or XLSX")
    p.add_argument("kind", choices=["buildings", "residents"])
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check only; print the bad rows")
    handlers["import"] = cmd_import

    p = sub.add_parser("export", help="export buildings/residents as CSV or XLSX")
    p.add_argument("kind", choices=["buildings", "residents"])
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    p.add_argument("--output", "-o", default="-")
    handlers["export"] = cmd_export

    p = sub.add_parser("reset-password", help="a temporary password, to be changed at the next log-in")
    p.add_argument("login")
    handlers["reset-password"] = cmd_reset_password

    for name, what in (("deactivate-user", "stop a staff account"), ("activate-user", "restore a staff account")):
        p = sub.add_parser(name, help=what)
        p.add_argument("login")
        handlers[name] = cmd_set_active

    sub.add_parser("duty", help="executors on shift now, and their next shifts")
    handlers["duty"] = cmd_duty

    for name, what in (("sla-check", "check a deadline rules file (the TOML of config/sla.toml)"),
                       ("sla-apply", "make a deadline rules file the version in force for new tickets")):
        p = sub.add_parser(name, help=what)
        p.add_argument("file")
        if name == "sla-apply":
            p.add_argument("--comment", help="what changed (the audit log and the list of versions)")
        handlers[name] = cmd_sla

    p = sub.add_parser("backup", help="the journal, recordings and installed prompts in one tar.gz")
    p.add_argument("-o", "--output", help="archive path (default: hotline-backup-<time>.tar.gz)")
    handlers["backup"] = cmd_backup

    p = sub.add_parser("restore", help="put a backup back (service stopped); then migrate")
    p.add_argument("archive")
    p.add_argument("--force", action="store_true", help="replace an existing journal")
    handlers["restore"] = cmd_restore

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
