"""One mapping from Settle's errors to HTTP answers: the status of each kind, and the message in
the request's language. The API answers with Azure's envelope; the portal shows the message."""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from settle.errors import ErrorKind, SettleError
from settle.i18n import choose_locale, gettext
from settle.web.security import security_headers

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


log = logging.getLogger("settle")


def install_last_resort(app: FastAPI, processor_origin: str, portal_page: Callable[[Request], Response]) -> None:
    """The answer to an error nothing else handled. Starlette answers it outside every middleware, so
    this one carries the security headers itself; the API gets Azure's envelope, the portal `portal_page` (its
    frame, in the visitor's language), or a bare page when even that fails."""

    async def answer(request: Request, _error: Exception) -> Response:
        locale = choose_locale(None, None, request.headers.get("accept-language"))
        error = SettleError()
        headers = {name.decode(): value.decode() for name, value in security_headers(processor_origin).items()}
        headers["Cache-Control"] = "no-store"
        if request.url.path.startswith("/providers/"):
            body = {"error": {"code": "InternalServerError", "message": message_of(error, locale)}}
            return JSONResponse(body, status_code=500, headers=headers)
        try:
            answer = portal_page(request)
            answer.headers.update(headers)
            return answer
        except Exception:  # the portal's own templates failed: the plainest page there is
            log.exception("the error page could not be rendered")
        text = escape(message_of(error, locale))
        page = f'<!doctype html><html lang="{locale}"><meta charset="utf-8"><title>Settle</title><p>{text}</p></html>'
        return HTMLResponse(page, status_code=500, headers=headers)

    app.add_exception_handler(Exception, answer)
