"""Every error an API request meets answers in Azure's envelope, {"error": {"code", "message"}}, with the
message in the request's language (Accept-Language) and the status of web/errors.py's one mapping.

The API's routes use `AzureRoute`, which turns Settle's errors and FastAPI's validation errors into
that envelope without touching the rest of the app; `install_api_error_handlers` does the same for the
few answers Starlette gives before a route is found (404, 405) on the API's paths (/providers/…) only."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from settle.db import RETRY_AFTER_SECONDS, answer_for
from settle.errors import N_, ErrorKind, Invalid, NotFound, SettleError
from settle.i18n import choose_locale
from settle.payments.model import IdempotencyKeyReused
from settle.web.api import schemas
from settle.web.api.serialise import AzureJSON
from settle.web.errors import envelope, status_of

SUPPORTED_API_VERSION = "2024-04-01"


class Unauthenticated(SettleError):
    code = "AuthenticationFailed"
    message = N_("Authentication failed: send a Settle API token in the header 'Authorization: Bearer <token>'.")


class InvalidToken(Unauthenticated):
    code = "InvalidAuthenticationToken"
    message = N_("The API token is not valid: it is unknown, revoked or expired, or its user is disabled.")


class MissingApiVersion(Invalid):
    code = "MissingApiVersionParameter"
    message = N_("The api-version query parameter is required; this API speaks api-version {supported}.")


class InvalidApiVersion(Invalid):
    code = "InvalidApiVersionParameter"
    message = N_("The api-version '{version}' is not supported; use {supported}.")


class MissingIdempotencyKey(Invalid):
    code = "MissingIdempotencyKey"
    message = N_("Paying needs an Idempotency-Key header: a new key for each payment, the same key to retry it.")


class InvalidJson(Invalid):
    code = "InvalidRequestContent"
    message = N_("The request body is not valid JSON.")


class InvalidParameter(Invalid):
    code = "InvalidParameter"
    message = N_("The value of '{name}' is not valid.")


class ResourceNotFound(NotFound):
    code = "ResourceNotFound"
    message = N_("There is nothing at '{path}'.")


class MethodNotAllowed(Invalid):
    code = "MethodNotAllowed"
    message = N_("'{method}' is not allowed on '{path}'.")


# Where the API answers otherwise than web/errors.py's mapping of the error's kind.
_STATUS_OVERRIDES: tuple[tuple[type[SettleError], int], ...] = (
    (Unauthenticated, 401),
    (MethodNotAllowed, 405),
    (IdempotencyKeyReused, 422),
)
_ERRORS: dict[int | str, str] = {
    400: "Bad request: missing or unknown api-version, invalid parameter or body",
    401: "No API token, or one that is not valid",
    404: "Not found, or not visible to the caller",
    "default": "Any other error, in the same envelope",
}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": schemas.ErrorResponse, "description": description} for status, description in _ERRORS.items()
}
FORBIDDEN_RESPONSE: dict[int | str, dict[str, Any]] = {
    403: {"model": schemas.ErrorResponse, "description": "Visible, but the caller lacks the permission named"}
}


def request_locale(request: Request) -> str:
    return choose_locale(None, None, request.headers.get("accept-language"))


def api_status(error: SettleError) -> int:
    for kind, status in _STATUS_OVERRIDES:
        if isinstance(error, kind):
            return status
    return status_of(error)


def error_response(request: Request, error: SettleError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="settle"'} if isinstance(error, Unauthenticated) else None
    if error.kind is ErrorKind.UNAVAILABLE:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    return AzureJSON(envelope(error, request_locale(request)), status_code=api_status(error), headers=headers)


def from_validation(error: RequestValidationError) -> SettleError:
    """The first problem FastAPI found, as one of the API's errors (a missing api-version first)."""
    problems = list(error.errors())
    for problem in problems:
        location = tuple(str(part).lower() for part in problem.get("loc", ()))
        if location == ("query", "api-version") and problem.get("type") == "missing":
            return MissingApiVersion(supported=SUPPORTED_API_VERSION)
    for problem in problems:
        location = tuple(str(part) for part in problem.get("loc", ()))
        if location[:2] == ("header", "Idempotency-Key") and problem.get("type") == "missing":
            return MissingIdempotencyKey()
        if problem.get("type") == "json_invalid":
            return InvalidJson()
    first = tuple(str(part) for part in problems[0].get("loc", ())) if problems else ()
    return InvalidParameter(name=".".join(first[1:]) or ".".join(first) or "request")


class AzureRoute(APIRoute):
    """A route whose Settle errors and validation errors answer in Azure's envelope."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except SettleError as error:
                return error_response(request, error)
            except (DBAPIError, PoolTimeout) as error:  # the database is down, or refused a value
                answer = answer_for(error)
                if answer is None:
                    raise
                return error_response(request, answer)
            except RequestValidationError as error:
                return error_response(request, from_validation(error))
            except StarletteHTTPException as error:  # FastAPI could not read the body at all
                if error.status_code != 400:
                    raise
                return error_response(request, InvalidJson())

        return answer


def install_api_error_handlers(app: FastAPI) -> None:
    """404 and 405 on the API's paths (Microsoft.Billing and Microsoft.Support) in Azure's envelope; every
    other path keeps the handler it had."""
    previous = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)

    async def handle(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        path = request.url.path
        if path.startswith("/providers/") and error.status_code in (404, 405):
            found: SettleError = (
                ResourceNotFound(path=path)
                if error.status_code == 404
                else MethodNotAllowed(method=request.method, path=path)
            )
            return error_response(request, found)
        answer = previous(request, error)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, handle)
