"""Identifiers in the shapes people know from the reference portal."""

from __future__ import annotations

import secrets
import string
import uuid

_LETTERS = string.ascii_uppercase + string.digits


def _block(length: int) -> str:
    return "".join(secrets.choice(_LETTERS) for _ in range(length))


def billing_account_id() -> str:
    """Like `1a2b3c4d-…:5e6f…_2019-05-31`, shortened to a GUID: readable and URL-safe."""
    return str(uuid.uuid4())


def billing_profile_id() -> str:
    """Like `AB12-CD34-EF5-GH6`."""
    return f"{_block(4)}-{_block(4)}-{_block(3)}-{_block(3)}"


def invoice_section_id() -> str:
    return billing_profile_id()


def opaque_id() -> str:
    """For users, payment methods, payments, role assignments: never guessable."""
    return uuid.uuid4().hex
