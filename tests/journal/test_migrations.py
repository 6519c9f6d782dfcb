"""`hotline migrate` brings any database to the current schema, and the schema matches the models."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from journal import Database
from journal.migrate import upgrade
from journal.models import Base
from tests.conftest import run_in_thread


async def test_migrated_schema_matches_models(db_url: str) -> None:
    # db_url comes migrated from the template; running again must be a no-op.
    run_in_thread(lambda: upgrade(db_url))
    db = Database.from_url(db_url)
    try:
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata))
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
            version = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    finally:
        await db.close()
    assert diff == []
    assert {"tickets", "ticket_history", "missed_calls", "calls", "recordings", "buildings", "residents"} <= tables
    assert version is not None


async def test_migrate_an_empty_sqlite_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path}/new/journal.sqlite3"
    run_in_thread(lambda: upgrade(url))
    db = Database.from_url(url)
    try:
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await db.close()
    assert "tickets" in tables
