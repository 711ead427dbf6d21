"""Argon2id's cost is a setting: production's defaults, read from SETTLE_PASSWORD_*, refused when impossible."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from settle.accounts import passwords
from settle.config import Settings
from tests.configured import settings_for_tests


def test_the_default_cost_is_rfc_9106s_second_recommendation() -> None:
    settings = Settings.from_env({"SETTLE_SECRET_KEY": "x"})

    assert (settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism) == (3, 65536, 4)
    default = PasswordHasher()
    assert (default.time_cost, default.memory_cost, default.parallelism) == (3, 65536, 4)


def test_the_cost_is_read_from_the_environment() -> None:
    environ = {
        "SETTLE_SECRET_KEY": "x",
        "SETTLE_PASSWORD_TIME_COST": "4",
        "SETTLE_PASSWORD_MEMORY_KIB": "131072",
        "SETTLE_PASSWORD_PARALLELISM": "2",
    }
    settings = Settings.from_env(environ)

    assert (settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism) == (4, 131072, 2)


@pytest.mark.parametrize(
    ("name", "value"),
    [("SETTLE_PASSWORD_TIME_COST", "0"), ("SETTLE_PASSWORD_PARALLELISM", "0"), ("SETTLE_PASSWORD_MEMORY_KIB", "16")],
)
def test_an_impossible_cost_is_refused_naming_the_setting(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Settings.from_env({"SETTLE_SECRET_KEY": "x", name: value})


def test_new_hashes_carry_the_configured_cost_and_older_ones_need_a_rehash() -> None:
    try:
        passwords.configure(settings_for_tests(password_time_cost=2, password_memory_kib=32, password_parallelism=2))
        made = passwords.hash_password("correct horse battery")

        assert made.startswith("$argon2id$v=19$m=32,t=2,p=2$")
        assert passwords.verify_password(made, "correct horse battery")
        assert not passwords.verify_password(made, "wrong horse battery")
        assert not passwords.needs_rehash(made)
        assert passwords.needs_rehash(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("x"))
    finally:
        passwords.configure(settings_for_tests())


def test_no_user_verifies_as_false_whatever_the_password() -> None:
    assert passwords.verify_password(None, "no user has this password: it only costs the same work") is False
