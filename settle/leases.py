"""The leases of jobs that run one at a time across processes and machines (the autopay run).

One row per job: who holds it and until when. Taking it is one statement that succeeds for one
taker only: an insert of the row that is not there yet, or an update of a row whose lease has run
out (PostgreSQL locks the row, SQLite's write transaction the database, so two takers never both
see it free). A holder that dies keeps it until `expires_at`; a live one renews it as it goes."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from settle.db import UTCDateTime, is_postgres, metadata

job_leases = sa.Table(
    "job_leases",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("holder", sa.String(100), nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("completed_on", sa.Date),  # a daily job: the last day it ran to the end
)


class LeaseStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def acquire(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take the lease if nobody holds it (or `holder` does already); True if taken."""
        dialect_insert = postgresql.insert if is_postgres(self.connection) else sqlite.insert
        inserted = self.connection.execute(
            dialect_insert(job_leases)
            .values(name=name, holder=holder, expires_at=until)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        if inserted.rowcount == 1:
            return True
        c = job_leases.c
        taken = self.connection.execute(
            job_leases.update()
            .where(c.name == name, sa.or_(c.expires_at <= now, c.holder == holder))
            .values(holder=holder, expires_at=until)
        )
        return taken.rowcount == 1

    def renew(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Hold on for longer; False if the lease ran out and was taken meanwhile (or has run out)."""
        c = job_leases.c
        renewed = self.connection.execute(
            job_leases.update().where(c.name == name, c.holder == holder, c.expires_at > now).values(expires_at=until)
        )
        return renewed.rowcount == 1

    def release(self, name: str, holder: str, now: datetime) -> None:
        c = job_leases.c
        self.connection.execute(job_leases.update().where(c.name == name, c.holder == holder).values(expires_at=now))

    def complete(self, name: str, holder: str, day: date) -> None:
        """Note that the holder's daily run for `day` went to the end."""
        c = job_leases.c
        self.connection.execute(job_leases.update().where(c.name == name, c.holder == holder).values(completed_on=day))

    def completed_on(self, name: str) -> date | None:
        value = self.connection.scalar(sa.select(job_leases.c.completed_on).where(job_leases.c.name == name))
        return value if isinstance(value, date) else None
