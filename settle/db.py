"""The database engine, the shared table metadata, and migrations (Alembic).

SQLite is the embedded default (WAL, foreign keys on, writes take the lock at BEGIN IMMEDIATE so
two writers never deadlock on upgrade); PostgreSQL is the production database."""

from __future__ import annotations

import threading
import time
import weakref
from datetime import UTC
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from settle.errors import N_, ErrorKind, SettleError

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

MIGRATIONS = Path(__file__).parent / "migrations"
RETRY_AFTER_SECONDS = 5  # what the web faces tell a client to wait when the database is not answering


class DatabaseNotMigrated(SettleError):
    code = "DatabaseNotMigrated"
    message = N_("The database is at revision {current}, not {head}: run `settle db upgrade` first.")


class DatabaseUnavailable(SettleError):
    """The database did not answer (down, restarting, unreachable, out of connections): try again."""

    kind = ErrorKind.UNAVAILABLE
    code = "DatabaseUnavailable"
    message = N_("The database is not answering. Try again in a moment.")


class UnstorableValue(SettleError):
    """A value the database refuses to keep or compare: a NUL character (PostgreSQL), text longer than
    its column, a number out of range. The request's fault, so a 400, not a 500."""

    code = "InvalidValue"
    message = N_("A value in the request cannot be stored or looked up (a NUL character, or one too long).")


def answer_for(error: DBAPIError | PoolTimeout) -> SettleError | None:
    """The answer the web faces give for an error of the database's driver; None: Settle's own fault."""
    if is_outage(error):
        return DatabaseUnavailable()
    if isinstance(error, DataError):
        return UnstorableValue()
    return None


def is_outage(error: BaseException) -> bool:
    """Whether an error of the database's driver means it could not be reached or dropped the
    connection (answered 503 by the web faces), rather than a fault in Settle (a 500)."""
    if isinstance(error, PoolTimeout | OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def create_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url` (sqlite:///… or postgresql+psycopg://…), set up the way Settle needs."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _set_up_sqlite(engine)
        return engine
    # Room for every server thread (and a benchmark's 16 workers) without opening and closing
    # connections under load; a connection that sat idle is pinged before use, so a restarted database
    # is noticed, not answered with 500s.
    options = {"pool_size": 20, "max_overflow": 20, **kwargs}
    engine = sa.create_engine(url, **options)
    if not options.get("pool_pre_ping"):
        _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """pool_pre_ping, but only for a connection that sat in the pool longer than `idle_seconds`: under
    load connections come back within milliseconds, and a ping at every checkout was a round trip
    each (seven per payment). A failed ping makes the pool open a fresh connection instead."""

    @event.listens_for(engine, "connect")
    def on_connect(_dbapi_connection: Any, record: Any) -> None:
        record.info["settle_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["settle_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("settle_idle_since", 0.0) <= idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise sa.exc.DisconnectionError() from error


def _set_up_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: sa.Connection) -> None:
        write = connection.get_execution_options().get("settle_write", True)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


_sqlite_writers: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_sqlite_writers_guard = threading.Lock()


def sqlite_writer_lock(engine: Engine) -> threading.RLock | None:
    """SQLite has one writer at a time. Threads of one process queue here for it, in turn, instead
    of retrying in SQLite's busy handler with growing sleeps (seconds at the tail under load)."""
    if engine.dialect.name != "sqlite":
        return None
    with _sqlite_writers_guard:
        return _sqlite_writers.setdefault(engine, threading.RLock())


def is_postgres(engine: Engine | sa.Connection) -> bool:
    return engine.dialect.name == "postgresql"


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply the migrations up to `revision`."""
    from alembic import command

    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert head is not None
    return str(head)


def current_revision(engine: Engine) -> str | None:
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_migrated(engine: Engine) -> None:
    """Refuse to run on a database that is not at the newest migration."""
    current, head = current_revision(engine), head_revision(engine)
    if current != head:
        raise DatabaseNotMigrated(current=current or "none", head=head)


class UTCDateTime(sa.types.TypeDecorator[Any]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no zone of its own)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use timezone-aware UTC")
        return value.astimezone(UTC) if dialect.name == "postgresql" else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:  # noqa: ARG002 (SQLAlchemy's signature)
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def among(connection: sa.Connection, column: sa.ColumnElement[Any], values: Any) -> sa.ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(:array)`, one parameter however many values, so the
    statement stays short (the driver parses a long IN list of placeholders anew on every call)."""
    wanted = list(values)
    if is_postgres(connection):
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, wanted, type_=ARRAY(column.type)))
    return column.in_(wanted)
