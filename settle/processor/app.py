"""The simulated processor's HTTP face: the tokenization endpoint the browser posts card numbers to,
the charge/refund API Settle's server calls, and the 3-D Secure challenge page the card holder sees."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import Depends, FastAPI, Header, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, StrictInt
from starlette.concurrency import run_in_threadpool

from settle.errors import ErrorKind, Invalid, SettleError
from settle.money import Money
from settle.processor import pages, wire
from settle.processor.interface import ChargeStatus
from settle.processor.keys import ProcessorKeys
from settle.processor.simulated import SimulatedProcessor

_STATUS = {
    ErrorKind.INVALID: 400,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.CONFLICT: 409,
    ErrorKind.PAYMENT_FAILED: 402,
    ErrorKind.UNAVAILABLE: 503,
}
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=255)]


def _processor(request: Request) -> SimulatedProcessor:
    processor: SimulatedProcessor = request.app.state.processor
    return processor


class _Unauthenticated(Exception):
    """No key, or not the key this route needs: 401, and nothing is done."""


def _presented_key(request: Request) -> str:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


def _secret_caller(request: Request) -> None:
    keys: ProcessorKeys = request.app.state.keys
    if not keys.is_secret(_presented_key(request)):
        raise _Unauthenticated()


def _tokenizing_caller(request: Request) -> None:
    keys: ProcessorKeys = request.app.state.keys
    if not keys.may_tokenize(_presented_key(request)):
        raise _Unauthenticated()


Ledger = Annotated[SimulatedProcessor, Depends(_processor)]  # the app's processor (app.state.processor)
SECRET = [Depends(_secret_caller)]  # charges, refunds, look-ups: Settle's server, holding the secret key


class TokenRequest(BaseModel):
    number: str = Field(max_length=40)
    exp_month: StrictInt
    exp_year: StrictInt
    cvc: str = Field(max_length=8)
    holder: str = Field(default="", max_length=200)


class ChargeRequest(BaseModel):
    token: str = Field(max_length=40)
    amount_minor: StrictInt
    currency: str = Field(min_length=3, max_length=3)
    description: str = Field(default="", max_length=500)


class RefundRequest(BaseModel):
    charge_reference: str = Field(max_length=40)
    amount_minor: StrictInt
    currency: str = Field(min_length=3, max_length=3)


class AttachRequest(BaseModel):
    owner: str = Field(min_length=1, max_length=100)


def create_processor_app(processor: SimulatedProcessor, keys: ProcessorKeys, return_base_url: str) -> FastAPI:
    """The app; Settle's server mounts it at /processor, or it runs on its own. After a 3-D Secure
    challenge the card holder is sent back only to a page under `return_base_url` (SETTLE_BASE_URL)."""
    app = FastAPI(title="Settle simulated processor", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.processor, app.state.keys, app.state.return_base_url = processor, keys, return_base_url.rstrip("/")
    _add_error_answers(app)
    _add_token_cors(app)

    @app.post("/v1/tokens", dependencies=[Depends(_tokenizing_caller)])
    def create_token(body: TokenRequest, processor: Ledger) -> JSONResponse:
        token = processor.tokenize(body.number, body.exp_month, body.exp_year, body.cvc, body.holder)
        return JSONResponse(wire.card_token_to_json(token))

    @app.post("/v1/tokens/{token}/attach", dependencies=SECRET)
    def attach_token(token: str, body: AttachRequest, processor: Ledger) -> JSONResponse:
        return JSONResponse(wire.card_token_to_json(processor.attach_token(token, body.owner)))

    @app.get("/v1/tokens/{token}", dependencies=SECRET)
    def find_token(token: str, processor: Ledger) -> JSONResponse:
        found = processor.find_token(token)
        if found is None:
            message = "There is no such card token."
            return JSONResponse({"error": {"code": "TokenNotFound", "message": message}}, status_code=404)
        return JSONResponse(wire.card_token_to_json(found))

    @app.post("/v1/charges", dependencies=SECRET)
    def create_charge(body: ChargeRequest, idempotency_key: IdempotencyKey, processor: Ledger) -> JSONResponse:
        amount = Money(body.amount_minor, body.currency)
        charge = processor.charge(body.token, amount, idempotency_key, body.description)
        return JSONResponse(wire.charge_to_json(charge))

    @app.get("/v1/charges/{idempotency_key:path}", dependencies=SECRET)
    def find_charge(idempotency_key: str, processor: Ledger) -> JSONResponse:
        charge = processor.find_charge(idempotency_key)
        if charge is None:
            message = "No charge was made with this idempotency key."
            return JSONResponse({"error": {"code": "ChargeNotFound", "message": message}}, status_code=404)
        return JSONResponse(wire.charge_to_json(charge))

    @app.post("/v1/refunds", dependencies=SECRET)
    def create_refund(body: RefundRequest, idempotency_key: IdempotencyKey, processor: Ledger) -> JSONResponse:
        refund = processor.refund(body.charge_reference, Money(body.amount_minor, body.currency), idempotency_key)
        return JSONResponse(wire.refund_to_json(refund))

    # The challenge is the card holder's page: its link's secret (not the charge's reference, which
    # receipts print) is what lets them in, as a bank's 3-D Secure page does.
    @app.get("/challenge.css")
    def challenge_stylesheet() -> Response:
        return Response(pages.STYLESHEET, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/challenge/{challenge}", response_class=HTMLResponse)
    def show_challenge(
        challenge: str, request: Request, processor: Ledger, return_url: str = "", lang: str = ""
    ) -> HTMLResponse:
        locale = pages.page_locale(lang, request.headers.get("accept-language"))
        charge = processor.find_charge_by_challenge(challenge)
        if charge is None:
            return pages.unknown_page(locale)
        if charge.status is not ChargeStatus.REQUIRES_ACTION:  # answered already (Back): the outcome only
            safe = _safe_return_url(return_url, request.app.state.return_base_url)
            return pages.done_page(locale, charge.status is ChargeStatus.SUCCEEDED, safe)
        return pages.challenge_page(locale, charge.amount, challenge, return_url)

    @app.post("/challenge/{challenge}", response_model=None)
    async def answer_challenge(challenge: str, request: Request, processor: Ledger) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        lang = form.get("lang", [request.query_params.get("lang", "")])[0]
        locale = pages.page_locale(lang, request.headers.get("accept-language"))
        action = form.get("action", [""])[0]
        if action not in ("complete", "fail"):
            return pages.choose_page(locale)
        found = await run_in_threadpool(processor.find_charge_by_challenge, challenge)
        if found is None:
            return pages.unknown_page(locale)
        charge = await run_in_threadpool(processor.complete_challenge, found.reference, action == "complete")
        return_url = form.get("return_url", [request.query_params.get("return_url", "")])[0]
        safe = _safe_return_url(return_url, request.app.state.return_base_url)
        if safe is not None:
            return RedirectResponse(safe, status_code=303)
        return pages.done_page(locale, charge.status is ChargeStatus.SUCCEEDED, None)

    return app


def _add_error_answers(app: FastAPI) -> None:
    @app.exception_handler(_Unauthenticated)
    async def unauthenticated(_request: Request, _error: Exception) -> JSONResponse:
        message = "Send the processor's key as 'Authorization: Bearer <key>'; this one is missing or wrong."
        body = {"error": {"code": "Unauthenticated", "message": message, "params": {}}}
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(SettleError)
    async def settle_error(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, SettleError)
        return JSONResponse(wire.error_to_json(error), status_code=_STATUS[error.kind])

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        fields = ", ".join(".".join(str(part) for part in item["loc"]) for item in error.errors())
        return JSONResponse(wire.error_to_json(Invalid(reason=f"Invalid request: {fields}.")), status_code=400)


def _add_token_cors(app: FastAPI) -> None:
    """Card numbers go from the browser straight to /v1/tokens, from any origin; nothing else is open."""
    cors = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
    }

    @app.middleware("http")
    async def token_cors(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if not request.url.path.endswith("/v1/tokens"):
            return await call_next(request)
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=cors)
        response = await call_next(request)
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response


def _safe_return_url(return_url: str, base_url: str) -> str | None:
    """Send the card holder back only to a page under Settle's base URL, never to wherever a link says."""
    if not return_url or any(char in return_url for char in "\\\r\n\t "):
        return None
    parts, base = urlsplit(return_url), urlsplit(base_url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or parts.username or parts.password:
        return None
    if ".." in parts.path.split("/"):  # /settle/../elsewhere leaves the base once the browser resolves it
        return None
    under = base.path.rstrip("/") + "/"
    return return_url if (parts.path.rstrip("/") + "/").startswith(under) else None
