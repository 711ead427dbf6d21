"""Finding full card numbers where they must never be: Settle's database and its logs."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

# 13 to 19 digits as people write card numbers: in one run, in groups of four (4-4-4-4, up to
# 4-4-4-7) or as American Express does (4-6-5), separated by single spaces or dashes; never part of
# a longer word, so the digits inside a hexadecimal id or a UUID do not count.
_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])"
    r"(?:\d{13,19}|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}|\d{4}([ -])\d{6}\2\d{5})"
    r"(?![0-9A-Za-z])"
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_numbers_in(text: str) -> list[str]:
    found = []
    for match in _CANDIDATE.finditer(text):
        digits = re.sub(r"[ -]", "", match.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            found.append(digits)
    return found


def card_numbers_in_sqlite_files(root: Path) -> dict[str, list[str]]:
    """Card numbers in every Settle SQLite database under `root` (the processor's own excepted)."""
    found = {}
    for path in root.rglob("*.db"):
        if "processor" in path.name:
            continue
        engine = sa.create_engine(f"sqlite:///{path}")
        try:
            leaked = card_numbers_in_database(engine)
        finally:
            engine.dispose()
        if leaked:
            found[str(path)] = [number for numbers in leaked.values() for number in numbers]
    return found


def card_numbers_in_database(engine: Engine) -> dict[str, list[str]]:
    """Card numbers in any row of any table of the database (each row read as text)."""
    found = {}
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            if table.startswith("sim_"):  # the processor's own tables, if they share a database
                continue
            rows = connection.exec_driver_sql(f'SELECT * FROM "{table}"')
            numbers = [number for row in rows for value in row for number in card_numbers_in(str(value))]
            if numbers:
                found[table] = numbers
    return found
