"""Verifying an e-mail address in the portal: the link's page (a GET shows a button and changes nothing,
so mail scanners that follow links use none up), the button, and the banner's "Send the link again"."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from settle.access.verifying import open_link, resend_verification, verify_email
from settle.config import Settings
from settle.errors import SettleError
from settle.uow import UnitOfWork
from settle.web.errors import message_of, status_of
from settle.web.portal.pages import Visitor, render, signed_in, visitor
from settle.web.portal.sign_in_routes import checked_form

router = APIRouter(include_in_schema=False)
Checked = Annotated[Visitor, Depends(checked_form)]


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _refused(request: Request, error: SettleError) -> Response:
    page = render(
        request,
        "verify_email.html",
        status_code=status_of(error),
        state="error",
        error=message_of(error, visitor(request).locale),
    )
    if "retry_after" in error.params:
        page.headers["Retry-After"] = str(error.params["retry_after"])
    return page


@router.post("/verify-email")
def send_link_again(request: Request, who: Checked) -> Response:
    """The banner's button: another link to the signed-in user's address, throttled."""
    user = signed_in(request)
    settings: Settings = request.app.state.settings
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            resend_verification(
                uow, request.app.state.clock, settings.secret_key, user.id, who.locale, _client(request)
            )
    except SettleError as error:
        return _refused(request, error)
    return render(request, "verify_email.html", state="sent", email=user.email)


@router.get("/verify-email/{secret}")
def show_link(request: Request, secret: str) -> Response:
    try:
        with UnitOfWork(request.app.state.engine, write=False) as uow:
            link = open_link(uow, request.app.state.clock, secret)
    except SettleError as error:
        return _refused(request, error)
    return render(request, "verify_email.html", state="confirm", secret=secret, email=link.email)


@router.post("/verify-email/{secret}")
def use_link(request: Request, who: Checked, secret: str) -> Response:
    """Signed in or not: the link is the proof. Not signed in, on to the sign-in page with a notice."""
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            user = verify_email(uow, request.app.state.clock, secret, _client(request))
    except SettleError as error:
        return _refused(request, error)
    if who.user is None:
        return RedirectResponse("/signin?notice=verified", status_code=303)
    if who.user.id == user.id:  # the page shows the user as they are now: no banner any more
        request.state.visitor = replace(who, user=user)
    return render(request, "verify_email.html", state="verified", email=user.email)
