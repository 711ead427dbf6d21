"""Password hashing with Argon2id. The cost of new hashes is a setting (SETTLE_PASSWORD_*; the defaults are
RFC 9106's second recommendation, argon2-cffi's own); a hash made with other parameters still verifies, and
sign-in rehashes it with the configured ones."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from settle.config import Settings


class _Hashing:
    """The process's hasher, and the stand-in hash an unknown e-mail address is verified against
    (made when first needed: start-up does not pay for it)."""

    def __init__(self) -> None:
        self.use(PasswordHasher())

    def use(self, hasher: PasswordHasher) -> None:
        self.hasher = hasher
        self._stand_in: str | None = None

    @property
    def stand_in(self) -> str:
        if self._stand_in is None:
            self._stand_in = self.hasher.hash("no user has this password: it only costs the same work")
        return self._stand_in


_hashing = _Hashing()


def configure(settings: Settings) -> None:
    """Hash new passwords with the settings' Argon2id cost (each entry point calls this once)."""
    cost = (settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism)
    hasher = _hashing.hasher
    if cost != (hasher.time_cost, hasher.memory_cost, hasher.parallelism):
        time_cost, memory_kib, parallelism = cost
        _hashing.use(PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism))


def hash_password(password: str) -> str:
    return _hashing.hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash; None (no such user) costs the same work and is False."""
    try:
        return _hashing.hasher.verify(password_hash or _hashing.stand_in, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with other parameters than the configured ones (then sign-in makes it anew)."""
    return _hashing.hasher.check_needs_rehash(password_hash)
