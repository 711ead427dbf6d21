"""One mapping from Settle's errors to HTTP answers: the status of each kind, and the message in
the request's language. The API answers with Azure's envelope; the portal shows the message."""

from __future__ import annotations

from http import HTTPStatus

from settle.errors import ErrorKind, SettleError
from settle.i18n import gettext

STATUS = {
    ErrorKind.INVALID: HTTPStatus.BAD_REQUEST,
    ErrorKind.NOT_FOUND: HTTPStatus.NOT_FOUND,
    ErrorKind.FORBIDDEN: HTTPStatus.FORBIDDEN,
    ErrorKind.CONFLICT: HTTPStatus.CONFLICT,
    ErrorKind.PAYMENT_FAILED: HTTPStatus.PAYMENT_REQUIRED,
    ErrorKind.UNAVAILABLE: HTTPStatus.SERVICE_UNAVAILABLE,
    ErrorKind.THROTTLED: HTTPStatus.TOO_MANY_REQUESTS,
}


def status_of(error: SettleError) -> int:
    return int(STATUS[error.kind])


def message_of(error: SettleError, locale: str) -> str:
    return error.render(lambda text: gettext(locale, text))


def envelope(error: SettleError, locale: str) -> dict[str, dict[str, str]]:
    """Azure's error shape: {"error": {"code": …, "message": …}}."""
    return {"error": {"code": error.code, "message": message_of(error, locale)}}
