"""Cost Management + Billing › Payment methods, Billing profiles, Properties and Access control (IAM)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from settle.access.model import ROLE_SCOPE, Permission, Role
from settle.access.roles import accept_invitation, add_role_assignment, list_role_assignments, remove_role_assignment
from settle.access.service import refusal_for
from settle.access.tokens import Invited
from settle.accounts.model import User
from settle.errors import N_, Forbidden, SettleError
from settle.i18n import gettext
from settle.invoices.grid import balances_due
from settle.payments.autopay import set_autopay
from settle.payments.service import (
    add_card,
    make_default_payment_method,
    remove_payment_method,
    replace_payment_method,
)
from settle.payments.wallet import wallets_at
from settle.uow import UnitOfWork
from settle.web.errors import message_of, status_of
from settle.web.portal.pages import Visitor, error_text, render, signed_in
from settle.web.portal.scope import BillingView, billing_view, render_billing
from settle.web.portal.sign_in_routes import checked_form

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[User, Depends(signed_in)]
Checked = Annotated[Visitor, Depends(checked_form)]
Text = Annotated[str, Form()]
CHOOSE_A_ROLE = N_("Choose a role.")


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


# ---- Payment methods ----


@router.get("/billing/payment-methods")
def payment_methods(request: Request, user: SignedIn, scope: str = "", done: str = "", replace: str = "") -> Response:
    return _methods_page(request, user, scope, done=done, replacing=replace)


def _methods_page(
    request: Request, user: User, scope: str, *, error: str | None = None, status_code: int = 200, **extra: Any
) -> Response:
    app = request.app.state
    with UnitOfWork(app.engine, write=False) as uow:
        view = billing_view(uow, user, scope)
        wallets = wallets_at(uow, app.clock, user.id, view.current.scope)
        manage_refusal = None
        if wallets and not any(wallet.may_manage for wallet in wallets):
            manage_refusal = refusal_for(uow, user.id, Permission.MANAGE_PAYMENT_METHODS, view.current.scope)
    return render_billing(
        request,
        "billing/payment_methods.html",
        view,
        "payment_methods",
        status_code=status_code,
        wallets=wallets,
        manage_refusal=manage_refusal,
        error=error,
        tokenize_url=app.tokenize_url,
        publishable_key=app.publishable_key,
        **extra,
    )


def _method_change(
    request: Request, user: User, scope: str, done: str, change: Callable[[UnitOfWork], object]
) -> Response:
    """Run one change of the Payment methods page; back to the page with what was done, or with why not."""
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            change(uow)
    except SettleError as error:
        return _methods_page(request, user, scope, error=error_text(request, error), status_code=status_of(error))
    query = urlencode({"scope": scope, "done": done} if scope else {"done": done})
    return RedirectResponse(f"/billing/payment-methods?{query}", status_code=303)


@router.post("/billing/payment-methods/add")
def add_payment_method(
    request: Request,
    _who: Checked,
    scope: str = "",
    profile_id: Text = "",
    card_token: Text = "",
    make_default: Text = "",
) -> Response:
    user, app = signed_in(request), request.app.state
    return _method_change(
        request,
        user,
        scope,
        "added",
        lambda uow: add_card(
            uow,
            app.clock,
            app.processor,
            actor_id=user.id,
            profile_id=profile_id,
            token_id=card_token,
            make_default=bool(make_default),
            client_address=_client(request),
        ),
    )


@router.post("/billing/payment-methods/{method_id}/default")
def make_default(request: Request, _who: Checked, method_id: str, scope: str = "", profile_id: Text = "") -> Response:
    user, clock = signed_in(request), request.app.state.clock
    return _method_change(
        request,
        user,
        scope,
        "default",
        lambda uow: make_default_payment_method(
            uow, clock, actor_id=user.id, profile_id=profile_id, method_id=method_id, client_address=_client(request)
        ),
    )


@router.post("/billing/payment-methods/{method_id}/remove")
def remove_method(request: Request, _who: Checked, method_id: str, scope: str = "", profile_id: Text = "") -> Response:
    user, clock = signed_in(request), request.app.state.clock
    return _method_change(
        request,
        user,
        scope,
        "removed",
        lambda uow: remove_payment_method(
            uow, clock, actor_id=user.id, profile_id=profile_id, method_id=method_id, client_address=_client(request)
        ),
    )


@router.post("/billing/payment-methods/{method_id}/replace")
def replace_method(
    request: Request, _who: Checked, method_id: str, scope: str = "", profile_id: Text = "", card_token: Text = ""
) -> Response:
    user, app = signed_in(request), request.app.state
    return _method_change(
        request,
        user,
        scope,
        "replaced",
        lambda uow: replace_payment_method(
            uow,
            app.clock,
            app.processor,
            actor_id=user.id,
            profile_id=profile_id,
            old_method_id=method_id,
            token_id=card_token,
            client_address=_client(request),
        ),
    )


# ---- Billing profiles and Properties ----


@router.get("/billing/profiles")
def billing_profiles(request: Request, user: SignedIn, scope: str = "", done: str = "") -> Response:
    return _profiles_page(request, user, scope, done=done)


def _profiles_page(
    request: Request, user: User, scope: str, *, error: str | None = None, status_code: int = 200, done: str = ""
) -> Response:
    app = request.app.state
    with UnitOfWork(app.engine, write=False) as uow:
        view = billing_view(uow, user, scope)
        balances = balances_due(uow, app.clock, user.id, view.current.scope)
        wallets = {
            wallet.billing_profile.id: wallet for wallet in wallets_at(uow, app.clock, user.id, view.current.scope)
        }
    profiles = _profiles_in(view)
    return render_billing(
        request,
        "billing/profiles.html",
        view,
        "billing_profiles",
        status_code=status_code,
        profiles=profiles,
        balances=balances,
        wallets=wallets,
        error=error,
        done=done,
    )


def _profiles_in(view: BillingView) -> list[Any]:
    """The profile scopes the user may pick within the current scope."""
    return [
        choice for choice in view.choices if choice.profile is not None and view.current.scope.contains(choice.scope)
    ]


@router.post("/billing/profiles/{profile_id}/autopay")
def change_autopay(request: Request, _who: Checked, profile_id: str, scope: str = "", enabled: Text = "") -> Response:
    user, app = signed_in(request), request.app.state
    try:
        with UnitOfWork(app.engine) as uow:
            set_autopay(
                uow,
                app.clock,
                actor_id=user.id,
                profile_id=profile_id,
                enabled=enabled == "on",
                tz=app.settings.timezone,
                client_address=_client(request),
            )
    except SettleError as error:
        return _profiles_page(request, user, scope, error=error_text(request, error), status_code=status_of(error))
    query = urlencode({"scope": scope, "done": "autopay"} if scope else {"done": "autopay"})
    return RedirectResponse(f"/billing/profiles?{query}", status_code=303)


@router.get("/billing/properties")
def properties(request: Request, user: SignedIn, scope: str = "") -> Response:
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        view = billing_view(uow, user, scope)
    return render_billing(request, "billing/properties.html", view, "properties")


# ---- Access control (IAM) ----


@router.get("/billing/access")
def access_control(request: Request, user: SignedIn, scope: str = "", done: str = "") -> Response:
    return _access_page(request, user, scope, done=done)


def _access_page(
    request: Request, user: User, scope: str, *, error: str | None = None, status_code: int = 200, **extra: Any
) -> Response:
    refused = None
    rows: list[Any] = []
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        view = billing_view(uow, user, scope)
        try:
            rows = list_role_assignments(uow, user.id, view.current.scope)
        except Forbidden as error_:
            refused = error_text(request, error_)
    roles = [role for role in Role if ROLE_SCOPE[role] is view.current.scope.kind]
    return render_billing(
        request,
        "billing/access.html",
        view,
        "access",
        status_code=status_code,
        rows=rows,
        refused=refused,
        roles=roles,
        error=error,
        **extra,
    )


@router.post("/billing/access/add")
def add_assignment(request: Request, who: Checked, scope: str = "", email: Text = "", role: Text = "") -> Response:
    user = signed_in(request)
    try:
        chosen = Role(role)
        with UnitOfWork(request.app.state.engine) as uow:
            view = billing_view(uow, user, scope)
            added = add_role_assignment(
                uow, request.app.state.clock, user.id, email, chosen, view.current.scope, _client(request)
            )
    except ValueError:
        return _access_page(request, user, scope, error=_unknown_role(who), status_code=400, email=email)
    except SettleError as error:
        return _access_page(
            request, user, scope, error=error_text(request, error), status_code=status_of(error), email=email
        )
    if isinstance(added, Invited):
        link = f"{request.app.state.settings.base_url.rstrip('/')}/invitations/{added.secret}"
        return _access_page(request, user, scope, invited=added.invitation, invitation_link=link)
    done = "pending" if added.pending else "added"
    query = urlencode({"scope": scope, "done": done} if scope else {"done": done})
    return RedirectResponse(f"/billing/access?{query}", status_code=303)


def _unknown_role(who: Visitor) -> str:
    return gettext(who.locale, CHOOSE_A_ROLE)


@router.post("/billing/access/{assignment_id}/remove")
def remove_assignment(request: Request, _who: Checked, assignment_id: str, scope: str = "") -> Response:
    user = signed_in(request)
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            remove_role_assignment(uow, request.app.state.clock, user.id, assignment_id, _client(request))
    except SettleError as error:
        return _access_page(request, user, scope, error=error_text(request, error), status_code=status_of(error))
    query = urlencode({"scope": scope, "done": "removed"} if scope else {"done": "removed"})
    return RedirectResponse(f"/billing/access?{query}", status_code=303)


@router.get("/invitations/{secret}")
def show_invitation(request: Request, _user: SignedIn, secret: str) -> Response:
    return render(request, "invitation.html", secret=secret)


@router.post("/invitations/{secret}")
def take_invitation(request: Request, who: Checked, secret: str) -> Response:
    user = signed_in(request)
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            assignment = accept_invitation(uow, request.app.state.clock, secret, user.id, _client(request))
    except SettleError as error:
        return render(
            request, "invitation.html", status_code=status_of(error), secret=secret, error=message_of(error, who.locale)
        )
    key = "/".join(assignment.scope.parts[:2])
    return RedirectResponse(f"/billing?{urlencode({'scope': key})}", status_code=303)
