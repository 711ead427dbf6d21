"""Failures the simulated processor can be told to have, so tests can show Settle survives them."""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Fault(StrEnum):
    TIMEOUT_BEFORE = "timeout_before"  # the request never got through: nothing charged, caller sees a time-out
    ERROR_5XX = "error_5xx"  # the processor failed before charging: nothing charged, caller sees a 5xx
    LOST_RESPONSE = "lost_response"  # the charge is made, then the answer is lost on the way back
    SLOW = "slow"  # the answer comes, after `slow_seconds`


@dataclass
class Faults:
    """For tests only. Scripted faults are used first, one per call (None for a normal call); after
    that each call draws at most one fault with the given probabilities from a seeded generator."""

    timeout_before: float = 0.0
    error_5xx: float = 0.0
    lost_response: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 0.5
    timeout_seconds: float = 0.0  # how long a TIMEOUT_BEFORE hangs first (over HTTP: past the caller's time-out)
    script: list[Fault | None] = field(default_factory=list)
    seed: int = 0
    _queue: deque[Fault | None] = field(init=False, repr=False)
    _random: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if min(self._chances().values()) < 0 or sum(self._chances().values()) > 1:
            raise ValueError("fault probabilities must be between 0 and 1 and add up to at most 1")
        self._queue = deque(self.script)
        self._random = random.Random(self.seed)  # noqa: S311 - reproducible test faults, not security

    @classmethod
    def from_spec(cls, spec: str) -> Faults:
        """`timeout_before=0.05,error_5xx=0.05,slow=0.05,slow_seconds=1.5,seed=7` (SETTLE_PROCESSOR_FAULTS)."""
        numbers = {"seed": int, "slow_seconds": float, "timeout_seconds": float, **{f.value: float for f in Fault}}
        values: dict[str, Any] = {}
        for part in filter(None, (item.strip() for item in spec.split(","))):
            name, _, value = part.partition("=")
            kind = numbers.get(name.strip())
            if kind is None:
                raise ValueError(f"unknown fault setting '{name.strip()}': use {', '.join(numbers)}")
            values[name.strip()] = kind(value)
        return cls(**values)

    @classmethod
    def scripted(cls, *faults: Fault | None, slow_seconds: float = 0.5) -> Faults:
        return cls(script=list(faults), slow_seconds=slow_seconds)

    def add(self, *faults: Fault | None) -> None:
        """Queue more scripted faults, to be used after those already queued."""
        with self._lock:
            self._queue.extend(faults)

    def next(self) -> Fault | None:
        """The fault for the call being made now, if any."""
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            roll = self._random.random()
        for fault, chance in self._chances().items():
            if roll < chance:
                return fault
            roll -= chance
        return None

    def _chances(self) -> dict[Fault, float]:
        return {
            Fault.TIMEOUT_BEFORE: self.timeout_before,
            Fault.ERROR_5XX: self.error_5xx,
            Fault.LOST_RESPONSE: self.lost_response,
            Fault.SLOW: self.slow,
        }
