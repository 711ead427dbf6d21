"""Alembic environment: runs on the connection Settle hands over, or on SETTLE_DATABASE_URL."""

from typing import Any

from alembic import context

import settle.schema  # noqa: F401  (registers every table on the metadata)
from settle.db import create_engine, metadata

config = context.config


def run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
else:
    with create_engine(config.get_main_option("sqlalchemy.url") or "").begin() as new_connection:
        run(new_connection)
