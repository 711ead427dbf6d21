"""The portal: server-rendered pages for people (DESIGN §1, §6)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from settle.errors import SettleError
from settle.web.errors import message_of, status_of
from settle.web.portal import (
    help_routes,
    history_routes,
    invoice_routes,
    search_routes,
    settings_routes,
    sign_in_routes,
    token_routes,
)
from settle.web.portal.pages import SignInRequired, render, sign_in_first, visitor

STATIC = Path(__file__).parent / "static"


def install_portal(app: FastAPI) -> None:
    """Add the portal's pages, static files and error pages to the app."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(sign_in_routes.router)
    app.include_router(history_routes.router)  # before /billing/invoices/{number}
    app.include_router(invoice_routes.router)
    app.include_router(settings_routes.router)
    app.include_router(search_routes.router)
    app.include_router(token_routes.router)
    app.include_router(help_routes.router)
    app.add_exception_handler(sign_in_routes.FormExpired, sign_in_routes.form_expired_answer)
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(SettleError, _error_page)

    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        if visitor(request).user is None:
            return sign_in_first(request)
        return render(request, "home.html")


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
        detail=message_of(error, visitor(request).locale),
    )
