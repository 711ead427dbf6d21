"""Exact numbers in JSON written by pydantic: a Decimal leaves the model as a marked string, and the marks are
then taken off, leaving the bare number literal with exactly the Decimal's digits (never through a float).

Both marks hold a random token of this process, so no text a user wrote can pass for one."""

from __future__ import annotations

import secrets
from decimal import Decimal

_OPEN = "\ue000" + secrets.token_hex(8) + "<"  # a private-use character and a secret: in no one's text
_CLOSE = ">" + secrets.token_hex(8) + "\ue000"


def exact_number_marker(value: Decimal) -> str:
    """A Decimal as the marked string `restore_numbers` turns back into a JSON number."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number JSON can carry")
    return f"{_OPEN}{format(value, 'f')}{_CLOSE}"


def restore_numbers(text: str) -> str:
    """The JSON text with every marked string replaced by its number literal (the quotes and marks dropped)."""
    return text.replace('"' + _OPEN, "").replace(_CLOSE + '"', "")
