"""`settle invoices import`: every record checked, bad ones reported by line, all or nothing."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.invoices.intake import CSV_HEADER, read_records, write_jsonl
from settle.invoices.service import ImportRejected, import_invoices
from settle.uow import UnitOfWork
from tests.integration.factories import World, make_invoice, make_world


def _records(world: World, clock: FixedClock, count: int) -> list[dict[str, object]]:
    stream = io.StringIO()
    write_jsonl([make_invoice(world, clock) for _ in range(count)], stream)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def _count(engine: Engine) -> int:
    with UnitOfWork(engine, write=False) as uow:
        return uow.invoices.count()


def _settle(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SETTLE_DATABASE_URL": database_url, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "settle.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_good_file_imports_every_invoice_with_its_lines(engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    world = make_world(engine, clock)
    records = _records(world, clock, 25)
    path = _write(tmp_path / "invoices.jsonl", records)
    with UnitOfWork(engine) as uow, path.open() as stream:
        report = import_invoices(uow, clock, read_records(stream, "jsonl"))
    assert (report.imported, report.errors) == (25, [])
    with UnitOfWork(engine, write=False) as uow:
        first = uow.invoices.get(str(records[0]["number"]))
    assert str(first.total.to_decimal()) == records[0]["total"]
    assert len(first.lines) == 2


def test_one_bad_record_in_the_middle_is_reported_by_line_and_nothing_is_imported(
    database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    world = make_world(engine, clock)
    records = _records(world, clock, 3000)  # more than one insert batch before the bad record
    records[1500]["invoice_date"] = "2026-02-30"
    path = _write(tmp_path / "invoices.jsonl", records)
    result = _settle(database_url, "invoices", "import", str(path))
    assert result.returncode == 1
    assert "line 1501: 'invoice_date' is not a date" in result.stderr
    assert "nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr
    assert _count(engine) == 0


def test_skip_invalid_imports_the_good_records_and_reports_the_bad(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    world = make_world(engine, clock)
    records = _records(world, clock, 5)
    records[1]["lines"][0]["amount"] = "10.005"  # type: ignore[index]
    records[3]["billing_profile"] = "NOPE-NOPE-NOP-NOP"
    path = _write(tmp_path / "invoices.jsonl", records)
    with UnitOfWork(engine) as uow, path.open() as stream:
        report = import_invoices(uow, clock, read_records(stream, "jsonl"), skip_invalid=True)
    assert report.imported == 3
    assert [line for line, _ in report.errors] == [2, 4]
    assert "more decimals than EUR allows" in report.errors[0][1]
    assert "billing profile 'NOPE-NOPE-NOP-NOP' does not exist" in report.errors[1][1]
    assert _count(engine) == 3


def test_numbers_already_in_the_database_or_twice_in_the_file_are_bad_records(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    world = make_world(engine, clock)
    records = _records(world, clock, 3)
    path = _write(tmp_path / "first.jsonl", records[:1])
    with UnitOfWork(engine) as uow, path.open() as stream:
        import_invoices(uow, clock, read_records(stream, "jsonl"))
    path = _write(tmp_path / "second.jsonl", [records[0], records[1], records[2], records[2]])
    with pytest.raises(ImportRejected) as rejected, UnitOfWork(engine) as uow, path.open() as stream:
        import_invoices(uow, clock, read_records(stream, "jsonl"))
    assert rejected.value.report.errors == [
        (1, f"invoice number {records[0]['number']} already exists"),
        (4, f"invoice number {records[2]['number']} appears twice in the file"),
    ]
    assert _count(engine) == 1


def test_csv_with_one_row_per_invoice_line_imports(
    database_url: str, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    world = make_world(engine, clock)
    header = ",".join(CSV_HEADER)
    engineering, sales = world.sections[0].id, world.sections[1].id
    first = f"G100000001,{world.profile.id},2026-03-05,2026-04-04,2026-02-01,2026-02-28,EUR,0.21,0,145.20"
    rows = [
        f"{first},{engineering},Virtual Machines,720,100.00",
        f"{first},{sales},Storage,1,20.00",
        f"G100000002,{world.profile.id},2026-03-05,,2026-02-01,2026-02-28,,,,,{sales},Bandwidth,,0.01",
    ]
    path = tmp_path / "invoices.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    result = _settle(database_url, "invoices", "import", str(path))
    assert result.returncode == 0, result.stderr
    assert "Imported 2 invoice(s)" in result.stdout
    with UnitOfWork(engine, write=False) as uow:
        first, second = uow.invoices.get("G100000001"), uow.invoices.get("G100000002")
    assert (first.subtotal.minor, first.tax.minor, first.total.minor, len(first.lines)) == (12_000, 2_520, 14_520, 2)
    assert second.due_date.isoformat() == "2026-04-04"  # invoice date + the profile's 30 days
    assert second.total.minor == 1


def test_unknown_database_command_errors_are_one_line(tmp_path: Path) -> None:
    result = _settle(f"sqlite:///{tmp_path / 'fresh.db'}", "invoices", "list")
    assert result.returncode == 1
    assert "run `settle db upgrade` first" in result.stderr.replace("\n", " ")
    assert "Traceback" not in result.stderr
