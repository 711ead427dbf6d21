"""A forgotten password in the portal: ask for a reset link, open it, choose a new password.

The link's secret is a path parameter: the request log keeps the route's template, never the path
(settle/web/operations.py), and the pages of a link tell the browser to send no Referer anywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from settle.access.password_reset import open_reset, request_password_reset, reset_password
from settle.access.resets import LIFETIME_TEXT, ResetLinkNotValid, ResetsThrottled
from settle.config import Settings
from settle.errors import SettleError
from settle.i18n import gettext
from settle.uow import UnitOfWork
from settle.web.errors import message_of, status_of
from settle.web.portal.pages import SESSION_COOKIE, Visitor, render, visitor
from settle.web.portal.sign_in_routes import checked_form

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
Checked = Annotated[Visitor, Depends(checked_form)]


@router.get("/forgot-password")
def show_forgot_password(request: Request) -> Response:
    return render(request, "forgot_password.html")


@router.post("/forgot-password")
def ask_for_reset_link(request: Request, who: Checked, email: Text = "") -> Response:
    """The same page, status and words whether the address has a user, a disabled one or none."""
    settings: Settings = request.app.state.settings
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            request_password_reset(
                uow,
                request.app.state.clock,
                email,
                locale=who.locale,
                secret_key=settings.secret_key,
                client_address=request.client.host if request.client else None,
            )
    except SettleError as error:
        refused = render(
            request,
            "forgot_password.html",
            status_code=status_of(error),
            email=email,
            error=message_of(error, who.locale),
        )
        if isinstance(error, ResetsThrottled):
            refused.headers["Retry-After"] = str(error.retry_after)
        return refused
    return render(request, "forgot_password.html", sent=email.strip(), lifetime=gettext(who.locale, LIFETIME_TEXT))


@router.get("/reset-password/{secret}")
def show_reset_password(request: Request, secret: str) -> Response:
    return _reset_page(request, secret)


@router.post("/reset-password/{secret}")
def choose_new_password(request: Request, who: Checked, secret: str, password: Text = "", again: Text = "") -> Response:
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            reset_password(
                uow,
                request.app.state.clock,
                secret,
                password,
                again,
                client_address=request.client.host if request.client else None,
                previous_session_secret=who.session_secret,
            )
    except SettleError as error:
        return _reset_page(request, secret, error)
    done = RedirectResponse("/password-changed", status_code=303)
    done.delete_cookie(SESSION_COOKIE)  # the browser's session has ended: signing in makes a new one
    return _unreferred(done)


@router.get("/password-changed")
def show_password_changed(request: Request) -> Response:
    return render(request, "reset_password.html", done=True)


def _reset_page(request: Request, secret: str, error: SettleError | None = None) -> Response:
    """The form for a link that is open (with what was wrong with the last try), else why it cannot be used."""
    locale = visitor(request).locale
    try:
        with UnitOfWork(request.app.state.engine, write=False) as uow:
            reset, _user = open_reset(uow, request.app.state.clock, secret)
    except ResetLinkNotValid as dead:
        gone = render(request, "reset_password.html", status_code=status_of(dead), dead=message_of(dead, locale))
        return _unreferred(gone)
    page = render(
        request,
        "reset_password.html",
        status_code=status_of(error) if error else 200,
        secret=secret,
        email=reset.email,
        error=message_of(error, locale) if error else None,
    )
    return _unreferred(page)


def _unreferred(response: HTMLResponse | RedirectResponse) -> Response:
    """The link's secret is in the page's address: no Referer carries it on (not even to Settle's own
    static files), and no cache keeps the page."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
