"""A world built once and copied into each test's database: every row of Settle's tables, captured after
the world was built, written back into an emptied database (a few INSERTs, where building it again through
the services costs a hundred statements and the password hashes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from settle.schema import metadata


@dataclass(frozen=True)
class Snapshot:
    rows: dict[str, list[dict[str, Any]]]

    @classmethod
    def of(cls, engine: Engine) -> Snapshot:
        with engine.connect() as connection:
            return cls(
                {
                    table.name: [dict(row) for row in connection.execute(table.select()).mappings()]
                    for table in metadata.sorted_tables
                }
            )

    def restore(self, engine: Engine) -> None:
        """Into a database whose tables are empty: the same rows, and sequences past their ids."""
        with engine.begin() as connection:
            for table in metadata.sorted_tables:
                if self.rows[table.name]:
                    connection.execute(table.insert(), self.rows[table.name])
            if connection.dialect.name == "postgresql":
                _advance_sequences(connection)


def empty_tables(engine: Engine) -> None:
    """Every row of Settle's tables gone (PostgreSQL: one TRUNCATE, its sequences back to 1)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            for table in reversed(metadata.sorted_tables):
                connection.execute(table.delete())


def _advance_sequences(connection: sa.Connection) -> None:
    """PostgreSQL hands out serial ids from a sequence that the copied ids did not move on."""
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True:
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                    f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
                )
