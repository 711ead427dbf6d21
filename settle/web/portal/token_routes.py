"""The user menu's API tokens: personal access tokens for the REST API, created here (the secret is
shown once), listed and revoked. They act with their user's roles, never more."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from settle.access.api_tokens import create_api_token, list_api_tokens, revoke_api_token
from settle.accounts.model import User
from settle.errors import N_, Invalid, SettleError
from settle.uow import UnitOfWork
from settle.web.errors import message_of, status_of
from settle.web.portal.pages import Visitor, render, signed_in
from settle.web.portal.sign_in_routes import checked_form

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[User, Depends(signed_in)]
Checked = Annotated[Visitor, Depends(checked_form)]
Text = Annotated[str, Form()]


class BadExpiryDate(Invalid):
    code = "InvalidExpiryDate"
    message = N_("'{value}' is not a date (YYYY-MM-DD).")


@router.get("/settings/tokens")
def tokens(request: Request, user: SignedIn) -> Response:
    return _tokens_page(request, user)


def _tokens_page(request: Request, user: User, *, status_code: int = 200, **extra: Any) -> Response:
    app = request.app.state
    with UnitOfWork(app.engine, write=False) as uow:
        found = list_api_tokens(uow, user.id)
    return render(request, "tokens.html", status_code=status_code, tokens=found, now=app.clock.now(), **extra)


@router.post("/settings/tokens")
def create_token(request: Request, who: Checked, name: Text = "", expires: Text = "") -> Response:
    user = signed_in(request)
    app = request.app.state
    try:
        expires_at = _end_of(expires) if expires else None
        with UnitOfWork(app.engine) as uow:
            secret, token = create_api_token(
                uow,
                app.clock,
                user.id,
                name,
                expires_at,
                client_address=request.client.host if request.client else None,
            )
    except SettleError as error:
        return _tokens_page(request, user, status_code=status_of(error), error=message_of(error, who.locale), name=name)
    return _tokens_page(request, user, created=token, secret=secret)


def _end_of(value: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(value), time.max, tzinfo=UTC)
    except ValueError:
        raise BadExpiryDate(value=value) from None


@router.post("/settings/tokens/{token_id}/revoke")
def revoke_token(request: Request, who: Checked, token_id: str) -> Response:
    user = signed_in(request)
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            revoke_api_token(uow, request.app.state.clock, user.id, token_id)
    except SettleError as error:
        return _tokens_page(request, user, status_code=status_of(error), error=message_of(error, who.locale))
    return RedirectResponse("/settings/tokens?revoked=1", status_code=303)
