"""Injected faults: scripted ones first, then seeded draws that repeat."""

from __future__ import annotations

import pytest

from settle.processor.faults import Fault, Faults


def _draws(faults: Faults, count: int = 200) -> list[Fault | None]:
    return [faults.next() for _ in range(count)]


def test_faults_drawn_with_the_same_seed_repeat() -> None:
    chances = {"timeout_before": 0.1, "error_5xx": 0.1, "lost_response": 0.1, "slow": 0.1}
    first = _draws(Faults(**chances, seed=7))
    assert first == _draws(Faults(**chances, seed=7))
    assert first != _draws(Faults(**chances, seed=8))
    assert set(first) == {None, *Fault}


def test_scripted_faults_come_first_in_order_then_none() -> None:
    faults = Faults.scripted(Fault.LOST_RESPONSE, None, Fault.TIMEOUT_BEFORE)
    faults.add(Fault.ERROR_5XX)
    assert _draws(faults, 5) == [Fault.LOST_RESPONSE, None, Fault.TIMEOUT_BEFORE, Fault.ERROR_5XX, None]


def test_no_faults_are_drawn_by_default() -> None:
    assert set(_draws(Faults())) == {None}


@pytest.mark.parametrize("chances", [{"timeout_before": 0.6, "lost_response": 0.6}, {"slow": -0.1}])
def test_probabilities_outside_zero_to_one_are_refused(chances: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="probabilities"):
        Faults(**chances)


def test_faults_read_from_settle_processor_faults_draw_as_the_same_faults_built_in_code() -> None:
    spec = "timeout_before=0.05, error_5xx=0.05,lost_response=0.05,slow=0.05,slow_seconds=1.5,timeout_seconds=2,seed=7"
    read = Faults.from_spec(spec)
    built = Faults(timeout_before=0.05, error_5xx=0.05, lost_response=0.05, slow=0.05, seed=7)
    assert (read.slow_seconds, read.timeout_seconds) == (1.5, 2.0)
    assert _draws(read) == _draws(built)


def test_an_unknown_fault_setting_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown fault setting 'lost'"):
        Faults.from_spec("lost=0.1")
