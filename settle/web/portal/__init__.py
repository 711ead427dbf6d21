"""The portal: server-rendered pages for people (DESIGN §1, §6)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from settle.db import RETRY_AFTER_SECONDS, answer_for
from settle.errors import SettleError
from settle.i18n import choose_locale
from settle.invoices.attention import needs_attention
from settle.uow import UnitOfWork
from settle.web.errors import message_of, status_of
from settle.web.portal import (
    help_routes,
    history_routes,
    invoice_routes,
    password_routes,
    search_routes,
    settings_routes,
    sign_in_routes,
    token_routes,
    verification_routes,
)
from settle.web.portal.pages import (
    BROWSER_COOKIE,
    LOCALE_COOKIE,
    SignInRequired,
    Visitor,
    error_text,
    render,
    sign_in_first,
    visitor,
)

STATIC = Path(__file__).parent / "static"


def install_portal(app: FastAPI) -> None:
    """Add the portal's pages, static files and error pages to the app."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(sign_in_routes.router)
    app.include_router(password_routes.router)
    app.include_router(history_routes.router)  # before /billing/invoices/{number}
    app.include_router(invoice_routes.router)
    app.include_router(settings_routes.router)
    app.include_router(search_routes.router)
    app.include_router(token_routes.router)
    app.include_router(help_routes.router)
    app.include_router(verification_routes.router)
    app.add_exception_handler(sign_in_routes.FormExpired, sign_in_routes.form_expired_answer)
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(SettleError, _error_page)
    app.add_exception_handler(StarletteHTTPException, _http_error_page)  # the API's paths keep Azure's envelope
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeout, _database_error)

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        """Home: the services, and what needs the user's attention (amounts due, past-due invoices)."""
        user = visitor(request).user
        if user is None:
            return sign_in_first(request)
        with UnitOfWork(request.app.state.engine, write=False) as uow:
            attention = needs_attention(uow, request.app.state.clock, user.id)
        return render(request, "home.html", attention=attention)


async def _sign_in_first(request: Request, _error: Exception) -> Response:
    return sign_in_first(request)


async def _error_page(request: Request, error: Exception) -> Response:
    """A Settle error no page handled itself: its message on a page of its own, with its status
    (an invoice of another customer is 'not found', exactly like one that does not exist)."""
    assert isinstance(error, SettleError)
    return render(
        request,
        "message.html",
        status_code=status_of(error),
        title_key="not_found" if status_of(error) == 404 else "refused",
        detail=error_text(request, error),
    )


async def _http_error_page(request: Request, error: Exception) -> Response:
    """An address no page answers (404), a method it does not take (405), or a refusal: the portal's page,
    in the visitor's language, instead of Starlette's JSON."""
    assert isinstance(error, StarletteHTTPException)
    page = render(request, "error.html", status_code=error.status_code, status=error.status_code)
    page.headers.update(error.headers or {})
    return page


def failure_page(request: Request) -> HTMLResponse:
    """The page of an error nothing handled (500), in the portal's frame. What failed may be the lookup of
    who is signed in, so a visitor not found yet is taken as signed out rather than looked up now."""
    if getattr(request.state, "visitor", None) is None:
        cookies, header = request.cookies, request.headers.get("accept-language")
        locale = choose_locale(None, cookies.get(LOCALE_COOKIE), header)
        request.state.visitor = Visitor(locale, None, None, None, cookies.get(BROWSER_COOKIE) or "", False)
    return render(request, "error.html", status_code=500, status=500)


async def _database_error(request: Request, error: Exception) -> Response:
    """The database is down or restarting: 503 and when to try again, never a 500; or it refused a
    value of the request (a NUL): 400. The page is rendered without asking the database who is signed
    in (the visitor is taken as signed out)."""
    assert isinstance(error, DBAPIError | PoolTimeout)
    answer = answer_for(error)
    if answer is None:
        raise error
    if getattr(request.state, "visitor", None) is None:
        cookies, header = request.cookies, request.headers.get("accept-language")
        locale = choose_locale(None, cookies.get(LOCALE_COOKIE), header)
        request.state.visitor = Visitor(locale, None, None, None, cookies.get(BROWSER_COOKIE) or "", False)
    unavailable = status_of(answer) == 503
    page = render(
        request,
        "message.html",
        status_code=status_of(answer),
        title_key="unavailable" if unavailable else "refused",
        detail=message_of(answer, visitor(request).locale),
    )
    if unavailable:
        page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return page
