"""The error family. Each error has a stable `code`, a kind that the web faces map to a status,
and an English message template marked for translation (`N_`) that is translated where it is shown."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, ClassVar


def N_(message: str) -> str:
    """Mark a string for the translation catalogs without translating it now."""
    return message


class ErrorKind(StrEnum):
    INVALID = "invalid"  # the request is wrong: 400/422
    NOT_FOUND = "not_found"  # absent, or not visible to the actor: 404
    FORBIDDEN = "forbidden"  # visible, but the actor lacks a permission: 403
    CONFLICT = "conflict"  # the state of things does not allow it now: 409
    PAYMENT_FAILED = "payment_failed"  # the processor declined: 402
    UNAVAILABLE = "unavailable"  # a dependency is down; try again: 503
    THROTTLED = "throttled"  # too many attempts; try again later: 429


class SettleError(Exception):
    code: ClassVar[str] = "SettleError"
    kind: ClassVar[ErrorKind] = ErrorKind.INVALID
    message: ClassVar[str] = N_("Something went wrong.")

    def __init__(self, **params: Any) -> None:
        self.params = params
        super().__init__(self.render(lambda text: text))

    def render(self, gettext: Callable[[str], str]) -> str:
        """The message in the language of `gettext`, with its parameters filled in."""
        return gettext(self.message).format(**self.params)


class NotFound(SettleError):
    kind = ErrorKind.NOT_FOUND
    code = "NotFound"
    message = N_("{resource} '{id}' was not found.")


class Forbidden(SettleError):
    kind = ErrorKind.FORBIDDEN
    code = "AuthorizationFailed"
    message = N_("You do not have the permission '{permission}' here.")


class Invalid(SettleError):
    kind = ErrorKind.INVALID
    code = "InvalidInput"
    message = N_("{reason}")


class Conflict(SettleError):
    kind = ErrorKind.CONFLICT
    code = "Conflict"
    message = N_("{reason}")


class UnknownCurrency(Invalid):
    code = "UnknownCurrency"
    message = N_("'{currency}' is not an ISO 4217 currency code.")


class MixedCurrencies(Invalid):
    code = "MixedCurrencies"
    message = N_("Cannot combine amounts in {left} and {right}.")


class InvalidAmount(Invalid):
    code = "InvalidAmount"
    message = N_("'{amount}' is not a valid amount in {currency}.")
