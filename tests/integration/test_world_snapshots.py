"""The suite's copy of a world (tests/snapshots.py) is the world: the same rows, and new rows still fit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

from settle import db, demo
from settle.clock import FixedClock
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from tests.integration.factories import make_world
from tests.snapshots import Snapshot, empty_tables


def test_a_restored_demo_has_every_row_of_the_demo_and_takes_new_rows(
    engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    processor = SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)
    with UnitOfWork(engine) as uow:
        demo.load(uow, clock, processor)
    processor.close()
    built = Snapshot.of(engine)
    empty_tables(engine)

    built.restore(engine)

    assert Snapshot.of(engine) == built
    assert sum(len(rows) for rows in built.rows.values()) > 100
    make_world(engine, clock)  # serial ids (audit events, invoice lines) go on past the copied ones
    with UnitOfWork(engine, write=False) as uow:
        assert demo.is_loaded(uow)
    assert db.current_revision(engine) == db.head_revision(engine)
