"""Signing in, out and up in the portal."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from settle.access.sign_in import sign_in, sign_out
from settle.accounts.model import normalise_email
from settle.accounts.service import choose_language, sign_up
from settle.config import Settings
from settle.errors import N_, Invalid, SettleError
from settle.i18n import LOCALES
from settle.uow import UnitOfWork
from settle.web.errors import message_of, status_of
from settle.web.portal.pages import (
    LOCALE_COOKIE,
    SESSION_COOKIE,
    Visitor,
    is_https,
    remember_browser,
    render,
    safe_next,
    visitor,
)
from settle.web.security import csrf_valid

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]


class MalformedForm(Invalid):
    code = "MalformedForm"
    message = N_("The form held something that is not text (invalid UTF-8 or control characters). Nothing was changed.")


_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")  # U+FFFD: what invalid UTF-8 decodes to


async def text_only(request: Request) -> None:
    """Every state-changing form: refused (400, nothing changed) if a value is not text that a person
    typed: invalid UTF-8 or control characters, which PostgreSQL would refuse to keep (a NUL) anyway."""
    form = await request.form()  # already read by FastAPI for the route's own fields
    if any(isinstance(value, str) and _NOT_TEXT.search(value) for value in form.values()):
        raise MalformedForm()


def checked_form(
    request: Request, _text: Annotated[None, Depends(text_only)], csrf_token: Annotated[str, Form()] = ""
) -> Visitor:
    """Every state-changing form: refused unless it carries this visitor's CSRF token."""
    who = visitor(request)
    if not csrf_valid(request.app.state.settings.secret_key, who.csrf_basis, csrf_token):
        raise FormExpired()
    return who


class FormExpired(Exception):
    """A form without a valid CSRF token: answered 403 and nothing is changed."""


@router.get("/signin")
def show_sign_in(request: Request, next: str = "/", notice: str = "") -> Response:
    if visitor(request).user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "signin.html", next=safe_next(next), notice=notice)


@router.post("/signin")
def submit_sign_in(
    request: Request,
    who: Annotated[Visitor, Depends(checked_form)],
    email: Text = "",
    password: Text = "",
    next: Text = "/",
) -> Response:
    client = request.client.host if request.client else None
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            secret, _session = sign_in(
                uow,
                request.app.state.clock,
                email,
                password,
                client,
                request.headers.get("user-agent"),
                previous_session_secret=who.session_secret,
            )
    except SettleError as error:
        refused = render(
            request,
            "signin.html",
            status_code=status_of(error),
            next=safe_next(next),
            email=email,
            error=message_of(error, who.locale),
        )
        if "retry_after" in error.params:
            refused.headers["Retry-After"] = str(error.params["retry_after"])
        return refused
    response = RedirectResponse(safe_next(next), status_code=303)
    settings: Settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        max_age=int(settings.session_absolute_timeout.total_seconds()),
    )
    return response


@router.post("/signout")
def submit_sign_out(request: Request, who: Annotated[Visitor, Depends(checked_form)]) -> Response:
    if who.session_secret:
        with UnitOfWork(request.app.state.engine) as uow:
            sign_out(uow, request.app.state.clock, who.session_secret, request.client.host if request.client else None)
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/signup")
def show_sign_up(request: Request) -> Response:
    if not request.app.state.settings.signup:
        return render(request, "message.html", status_code=404, title_key="signup_disabled")
    return render(request, "signup.html")


@router.post("/signup")
def submit_sign_up(
    request: Request,
    who: Annotated[Visitor, Depends(checked_form)],
    email: Text = "",
    name: Text = "",
    password: Text = "",
    company: Text = "",
    currency: Text = "EUR",
    country: Text = "",
) -> Response:
    """One answer for a new address and for one that has a user (the owner is e-mailed instead): the same
    page, status and headers, so that sign-up tells nobody which addresses have a user here. Nobody is
    signed in by it (that alone would tell the two apart): the page says they can sign in now."""
    settings: Settings = request.app.state.settings
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            sign_up(
                uow,
                request.app.state.clock,
                email=email,
                display_name=name,
                password=password,
                company=company,
                currency=currency,
                country=country,
                enabled=settings.signup,
                secret_key=settings.secret_key,
                locale=who.locale,
                client_address=request.client.host if request.client else None,
            )
    except SettleError as error:
        return render(
            request,
            "signup.html",
            status_code=status_of(error),
            error=message_of(error, who.locale),
            form={"email": email, "name": name, "company": company, "currency": currency, "country": country},
        )
    return render(request, "signup_sent.html", email=normalise_email(email))


@router.post("/language")
def language_chosen(
    request: Request, who: Annotated[Visitor, Depends(checked_form)], locale: Text = "", next: Text = "/"
) -> Response:
    """The language picked in the user menu: a signed-in user's own from then on (DESIGN §7's first
    choice, which a cookie could never outrank); for anyone, also kept in a cookie, so the sign-in page
    after signing out still speaks it."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if locale not in LOCALES:
        return response
    if who.user is not None:
        with UnitOfWork(request.app.state.engine) as uow:
            choose_language(uow, request.app.state.clock, who.user, locale)
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="lax", secure=is_https(request))
    remember_browser(request, response)
    return response


def form_expired_answer(request: Request, _error: Exception) -> HTMLResponse:
    return render(request, "message.html", status_code=403, title_key="form_expired")
