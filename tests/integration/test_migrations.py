"""Migrations build exactly the schema the stores describe, and an un-migrated database is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from settle import db
from settle.schema import metadata


def test_migrated_schema_matches_the_stores_tables(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    # Expression indexes cannot be reflected on SQLite; they are checked by behaviour elsewhere.
    assert differences == []


def test_migrated_database_is_at_head(engine: Engine) -> None:
    assert db.current_revision(engine) == db.head_revision(engine)
    db.check_migrated(engine)


def test_empty_database_is_refused_with_the_command_to_run(tmp_path: Path) -> None:
    empty = db.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(db.DatabaseNotMigrated, match="settle db upgrade"):
        db.check_migrated(empty)


def test_upgrade_is_safe_to_run_again(engine: Engine) -> None:
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision(engine)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
