"""What every `settle` command shares: the consoles, the clock, the settings, the database, and
one way to stop with a one-line reason."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import Engine

from settle import db
from settle.accounts import passwords
from settle.clock import SystemClock
from settle.config import Settings
from settle.uow import UnitOfWork

# Wide enough for invoice tables when the output is a pipe or a CI log rather than a terminal.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
clock = SystemClock()


class CommandFailed(Exception):
    """A one-line reason to stop, shown without a traceback."""


# A terminal's escape sequences (colours, cursor moves, titles, hyperlinks) and the other control characters.
_CONTROL = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|.)|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain(value: object) -> str:
    """Text a customer wrote, as the operator's terminal may show it: no control characters, no escape
    sequences, and Rich's markup shown as typed (a subject `[/oops]` once crashed the command)."""
    return escape(_CONTROL.sub("", str(value)))


def fail(message: str) -> NoReturn:
    raise CommandFailed(message)


def settings() -> Settings:
    try:
        configured = Settings.from_env()
    except ValueError as error:  # a setting that is missing or wrong: its name and what it needs
        fail(str(error))
    passwords.configure(configured)  # `users add`, `demo`: new hashes at the configured cost
    return configured


def engine(*, migrated: bool = True) -> Engine:
    """The configured database; by default refuses one that is not migrated."""
    created = db.create_engine(settings().database_url)
    if migrated:
        db.check_migrated(created)
    return created


@contextmanager
def unit_of_work(write: bool = True) -> Iterator[UnitOfWork]:
    with UnitOfWork(engine(), write=write) as uow:
        yield uow


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
