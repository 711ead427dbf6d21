"""Help + support (DESIGN §8): a problem described in the user's own words and language is answered
with the recommended-steps article that matches it, its Recommended documents and two alternatives;
if none helps, a support request, which the provider's staff answer (`settle support reply`, or the
API); the user follows the conversation on the request's page and writes again there."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from settle.accounts.model import User
from settle.errors import SettleError
from settle.help.model import PROBLEM_TYPE_LABELS, Article
from settle.help.service import (
    SupportRequestForm,
    follow_up_support_request,
    get_article,
    get_conversation_for,
    open_support_request,
    recommend,
    related_articles,
    support_profiles_at,
    support_requests_of,
)
from settle.uow import UnitOfWork
from settle.web.errors import message_of, status_of
from settle.web.portal.pages import Visitor, signed_in, visitor
from settle.web.portal.scope import BillingView, NoBillingScope, billing_view, render_billing
from settle.web.portal.sign_in_routes import checked_form

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[User, Depends(signed_in)]
Checked = Annotated[Visitor, Depends(checked_form)]
Text = Annotated[str, Form()]
SCREENS = {
    "overview": "/billing",
    "invoices": "/billing/invoices",
    "payment-methods": "/billing/payment-methods",
    "billing-profiles": "/billing/profiles",
    "payment-history": "/billing/payments",
    "properties": "/billing/properties",
    "access-control": "/billing/access",
    "help": "/help",
}


def _view(uow: UnitOfWork, user: User, scope: str) -> BillingView | None:
    """Help is for everyone signed in, also those without a billing scope yet (they get no left pane)."""
    try:
        return billing_view(uow, user, scope)
    except NoBillingScope:
        return None


def link_for(view: BillingView | None) -> Callable[[str], str]:
    """Where an article's deep link goes: the named screen at the user's current billing scope."""

    def resolve(target: str) -> str:
        if target.startswith("help/"):
            return f"/help/articles/{target.removeprefix('help/')}"
        path = SCREENS[target]
        return view.url(path) if view is not None and path != "/help" else path

    return resolve


def _page(request: Request, user: User, scope: str, template: str, **context: Any) -> Response:
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        view = _view(uow, user, scope)
        mine = support_requests_of(uow, user, limit=20)
        profiles = support_profiles_at(uow, user, view.current if view else None)
    return render_billing(
        request,
        template,
        view,
        "help",
        link_for=link_for(view),
        my_requests=mine,
        profiles=profiles,
        problem_types=PROBLEM_TYPE_LABELS,
        here=_scoped(view),
        **context,
    )


def _scoped(view: BillingView | None) -> Callable[[str], str]:
    """A help URL that keeps the user's billing scope (and with it the left pane)."""
    return lambda path: view.url(path) if view is not None else path


@router.get("/help")
def help_and_support(request: Request, user: SignedIn, scope: str = "", q: str = "") -> Response:
    problem = q.strip()[:1000]
    found = recommend(problem, visitor(request).locale) if problem else None
    form = SupportRequestForm(problem_type="", description=problem)
    return _page(request, user, scope, "help/help.html", problem=problem, found=found, form=form)


@router.get("/help/articles/{article_id}")
def article(request: Request, user: SignedIn, article_id: str, scope: str = "") -> Response:
    shown: Article = get_article(article_id, visitor(request).locale)
    return _page(request, user, scope, "help/article.html", article=shown, related=related_articles(shown))


@router.get("/help/requests/new")
def new_request(request: Request, user: SignedIn, scope: str = "") -> Response:
    """The support request form, for those who would rather not describe their problem to the search first."""
    form = SupportRequestForm(problem_type="", description="")
    return _page(request, user, scope, "help/new_request.html", form=form)


@router.post("/help/requests")
def open_request(
    request: Request,
    who: Checked,
    scope: str = "",
    problem_type: Text = "",
    subject: Text = "",
    description: Text = "",
    billing_account_id: Text = "",
    billing_profile_id: Text = "",
    invoice: Text = "",
    contact_method: Text = "email",
    contact_phone: Text = "",
    suggested_article: Text = "",
) -> Response:
    user = signed_in(request)
    form = SupportRequestForm(
        problem_type=problem_type,
        description=description,
        subject=subject,
        billing_account_id=billing_account_id or None,
        billing_profile_id=billing_profile_id or None,
        invoice=invoice or None,
        contact_method=contact_method,
        contact_phone=contact_phone or None,
        suggested_article=suggested_article or None,
    )
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            opened = open_support_request(
                uow, request.app.state.clock, user, form, locale=who.locale, client_address=_client(request)
            )
    except SettleError as error:
        message = message_of(error, who.locale)
        return _page(
            request,
            user,
            scope,
            "help/new_request.html",
            status_code=status_of(error),
            form=form,
            request_error=message,
        )
    return _see(f"/help/requests/{opened.id}", scope, sent="1")


@router.get("/help/requests/{number}")
def support_request(request: Request, user: SignedIn, number: str, scope: str = "", sent: str = "") -> Response:
    """One of the user's requests and its conversation (anyone else's is not found)."""
    return _conversation_page(request, user, number, scope, sent=bool(sent))


@router.post("/help/requests/{number}/messages")
def follow_up(request: Request, who: Checked, number: str, scope: str = "", message: Text = "") -> Response:
    """The user writes again on their request: the staff see it Open again."""
    user = signed_in(request)
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            _, reply = follow_up_support_request(
                uow, request.app.state.clock, user, number, message, client_address=_client(request)
            )
    except SettleError as error:
        if status_of(error) == 404:
            raise
        return _conversation_page(
            request,
            user,
            number,
            scope,
            status_code=status_of(error),
            message=message,
            message_error=message_of(error, who.locale),
        )
    return _see(f"/help/requests/{number}", scope, anchor=f"message-{reply.id}")


def _conversation_page(request: Request, user: User, number: str, scope: str, **context: Any) -> Response:
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        conversation = get_conversation_for(uow, user, number)
    return _page(request, user, scope, "help/request.html", conversation=conversation, **context)


def _see(path: str, scope: str, anchor: str = "", **params: str) -> RedirectResponse:
    """After a form: to the page that shows what it did (a reload does not send it again)."""
    query = urlencode({"scope": scope, **params} if scope else params)
    return RedirectResponse(f"{path}{'?' + query if query else ''}{'#' + anchor if anchor else ''}", status_code=303)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None
