"""Migrations build exactly the schema the stores describe, and an un-migrated database is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine

from settle import db
from settle.help.model import ContactMethod, ProblemType
from settle.schema import metadata
from settle.uow import UnitOfWork


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


def test_support_requests_opened_before_0007_keep_their_data_and_are_about_other_by_e_mail(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade(engine, "0006")
    when = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (id, email, display_name, password_hash, disabled, created_at) "
                "VALUES ('u1', 'old@example.com', 'Old', 'x', false, :when)"
            ),
            {"when": when},
        )
        connection.execute(
            sa.text(
                "INSERT INTO support_requests (id, user_id, locale, subject, description, status, created_at) "
                "VALUES ('260301-00000001', 'u1', 'nl', 'Oud', 'Van voor 0007', 'open', :when)"
            ),
            {"when": when},
        )
    db.upgrade(engine)
    with UnitOfWork(engine, write=False) as uow:
        old = uow.support_requests.get("260301-00000001")
        assert (old.subject, old.description, old.locale) == ("Oud", "Van voor 0007", "nl")
        assert (old.problem_type, old.contact_method, old.contact_phone) == (
            ProblemType.OTHER,
            ContactMethod.EMAIL,
            None,
        )
        assert (old.billing_profile_id, old.invoice_id) == (None, None)
        assert uow.support_requests.replies(old.id) == []


def test_0007_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'round.db'}")
    db.upgrade(engine)
    with engine.begin() as connection:
        config = db._alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0006")
    assert db.current_revision(engine) == "0006"
    assert "support_request_replies" not in sa.inspect(engine).get_table_names()
    db.upgrade(engine)
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata) == []


def test_0009_leaves_every_user_unverified_and_roles_others_granted_pending_until_they_verify(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    db.upgrade(engine, "0008")
    when = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    grants = [  # (id, user, role, granted by)
        ("own", "founder", "billing_account_owner", "founder"),  # their own sign-up's account
        ("given", "colleague", "billing_account_reader", "founder"),
        ("operator", "clerk", "billing_account_contributor", None),  # `settle users grant`
    ]
    with engine.begin() as connection:
        for user in ("founder", "colleague", "clerk"):
            connection.execute(
                sa.text(
                    "INSERT INTO users (id, email, display_name, password_hash, disabled, created_at) "
                    "VALUES (:id, :email, :id, 'x', false, :when)"
                ),
                {"id": user, "email": f"{user}@example.com", "when": when},
            )
        connection.execute(
            sa.text(
                "INSERT INTO billing_accounts (id, display_name, agreement_type, status, sold_to, created_at) "
                "VALUES ('acct', 'Acct', 'MicrosoftCustomerAgreement', 'Active', '{}', :when)"
            ),
            {"when": when},
        )
        for grant_id, user, role, by in grants:
            connection.execute(
                sa.text(
                    "INSERT INTO role_assignments (id, user_id, role, billing_account_id, created_by, created_at) "
                    "VALUES (:id, :user, :role, 'acct', :by, :when)"
                ),
                {"id": grant_id, "user": user, "role": role, "by": by, "when": when},
            )
    db.upgrade(engine)
    with UnitOfWork(engine, write=False) as uow:
        assert [user.verified for user in uow.users.list()] == [False, False, False]
        assert [a.id for a in uow.roles.in_account("acct")] == ["own", "operator"]
        assert [(a.id, a.created_by, a.pending) for a in uow.pending_roles.in_account("acct")] == [
            ("given", "founder", True)
        ]
    with engine.begin() as connection:
        config = db._alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
        kept = connection.execute(sa.text("SELECT id FROM role_assignments ORDER BY id")).scalars().all()
    assert kept == ["given", "operator", "own"]
    assert "email_verified_at" not in {column["name"] for column in sa.inspect(engine).get_columns("users")}
