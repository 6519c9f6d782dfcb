"""Backup and restore of what the service keeps: the journal (SQLite: an online copy through
SQLite's backup API, consistent while the service writes; PostgreSQL: ``pg_dump -Fc``), the
recordings and photos (the content-addressed file store), and the prompts installed from the
voice menu page. One tar.gz with a manifest.

Restore puts them back into an empty place (a wiped or new machine): the service must be
stopped; an existing journal is refused unless ``force`` (then it is replaced)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from cti.settings import Settings

MANIFEST = "manifest.json"
SQLITE_NAME = "journal.sqlite3"
PG_NAME = "journal.pgdump"


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class Places:
    database_url: str
    recordings: Path
    prompts: Path

    @classmethod
    def of(cls, settings: Settings) -> Places:
        return cls(settings.database_url(), settings.path(settings.recordings.dir),
                   settings.path(settings.voice.prompts_dir))

    @property
    def sqlite_file(self) -> Path | None:
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite":
            return None
        if not url.database or url.database == ":memory:":
            raise BackupError("an in-memory SQLite database has nothing to back up")
        return Path(url.database)


def _pg_dsn(url: str) -> str:
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


def _run(args: list[str], what: str) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} not found: install the PostgreSQL client (apt-get install postgresql-client)")
    result = subprocess.run(args, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()[:500]}")


def _revision_sqlite(path: Path) -> str | None:
    with sqlite3.connect(path) as conn:
        try:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.Error:
            return None
    return str(row[0]) if row else None


def backup(places: Places, target: Path, *, version: str = "") -> dict[str, Any]:
    """Write the archive; returns its manifest."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hotline-backup-") as tmp:
        work = Path(tmp)
        sqlite_file = places.sqlite_file
        manifest: dict[str, Any] = {"created_at": datetime.now(UTC).isoformat(), "version": version}
        if sqlite_file is not None:
            if not sqlite_file.exists():
                raise BackupError(f"no journal at {sqlite_file}")
            copy = work / SQLITE_NAME
            # The backup API copies a consistent state even while the service writes (WAL).
            with sqlite3.connect(sqlite_file) as src, sqlite3.connect(copy) as dst:
                src.backup(dst)
            manifest |= {"database": "sqlite", "revision": _revision_sqlite(copy)}
        else:
            _run(["pg_dump", "-Fc", "--no-owner", "-f", str(work / PG_NAME), _pg_dsn(places.database_url)], "pg_dump")
            manifest |= {"database": "postgresql"}
        files = [p for p in places.recordings.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")] \
            if places.recordings.exists() else []
        manifest["files"] = len(files)
        manifest["file_bytes"] = sum(p.stat().st_size for p in files)
        (work / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(work / MANIFEST, MANIFEST)
            db_name = SQLITE_NAME if sqlite_file is not None else PG_NAME
            tar.add(work / db_name, db_name)
            for p in files:
                tar.add(p, f"recordings/{p.relative_to(places.recordings)}")
            if places.prompts.exists():
                for p in sorted(places.prompts.glob("*.wav")):
                    tar.add(p, f"prompts/{p.name}")
        os.replace(partial, target)
    return manifest


def _journal_exists(places: Places) -> bool:
    sqlite_file = places.sqlite_file
    if sqlite_file is not None:
        return sqlite_file.exists() and sqlite_file.stat().st_size > 0
    return False  # PostgreSQL: pg_restore --clean replaces what is there


def restore(places: Places, archive: Path, *, force: bool = False) -> dict[str, Any]:
    """Put an archive back; returns its manifest."""
    if _journal_exists(places) and not force:
        raise BackupError("a journal already exists here: stop the service and pass --force to replace it")
    with tarfile.open(archive, "r:gz") as tar, tempfile.TemporaryDirectory(prefix="hotline-restore-") as tmp:
        work = Path(tmp)
        # The "data" filter refuses absolute paths, links out of the tree and device files.
        tar.extractall(work, filter="data")
        manifest: dict[str, Any] = json.loads((work / MANIFEST).read_text(encoding="utf-8"))
        sqlite_file = places.sqlite_file
        if manifest.get("database") == "sqlite":
            if sqlite_file is None:
                raise BackupError("this archive holds a SQLite journal; database.url points elsewhere")
            sqlite_file.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(str(sqlite_file) + suffix).unlink(missing_ok=True)
            shutil.copyfile(work / SQLITE_NAME, sqlite_file)
        else:
            if sqlite_file is not None:
                raise BackupError("this archive holds a PostgreSQL journal; database.url points to SQLite")
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", _pg_dsn(places.database_url),
                  str(work / PG_NAME)], "pg_restore")
        _merge(work / "recordings", places.recordings)
        _merge(work / "prompts", places.prompts)
    return manifest


def _merge(source: Path, target: Path) -> None:
    if not source.exists():
        return
    for p in source.rglob("*"):
        if p.is_file():
            dest = target / p.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(p, dest)


__all__ = ["BackupError", "Places", "backup", "restore"]
