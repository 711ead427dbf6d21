"""The settings the suite runs with: production's, but for the cheapest Argon2id cost (every fixture user
and the demo data hash a password; at production cost that was minutes of the suite). Exported to the
environment too, so that the servers and commands the tests start as processes hash just as cheaply."""

from __future__ import annotations

import os
from typing import Any

from settle.accounts import passwords
from settle.config import Settings

CHEAPEST_HASHING = {"password_time_cost": 1, "password_memory_kib": 8, "password_parallelism": 1}
HASHING_ENVIRONMENT = {f"SETTLE_{name.upper()}": str(value) for name, value in CHEAPEST_HASHING.items()}


def settings_for_tests(**overrides: Any) -> Settings:
    """Settings for an app under test: the cheapest hashing unless the test says otherwise."""
    return Settings(**{**CHEAPEST_HASHING, **overrides})


def use_cheapest_hashing() -> None:
    os.environ.update(HASHING_ENVIRONMENT)
    passwords.configure(settings_for_tests())
