"""Help + support (DESIGN §8): a problem described in the user's own words and language is answered
with the recommended-steps article that matches it, its Recommended documents and two alternatives;
if none helps, a support request, which the provider's staff see (`settle support list`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from settle.accounts.model import User
from settle.errors import SettleError
from settle.help.model import Article
from settle.help.service import get_article, open_support_request, recommend, related_articles, support_requests_of
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
    return render_billing(request, template, view, "help", link_for=link_for(view), my_requests=mine, **context)


@router.get("/help")
def help_and_support(request: Request, user: SignedIn, scope: str = "", q: str = "") -> Response:
    problem = q.strip()[:1000]
    found = recommend(problem, visitor(request).locale) if problem else None
    return _page(request, user, scope, "help/help.html", problem=problem, found=found)


@router.get("/help/articles/{article_id}")
def article(request: Request, user: SignedIn, article_id: str, scope: str = "") -> Response:
    shown: Article = get_article(article_id, visitor(request).locale)
    return _page(request, user, scope, "help/article.html", article=shown, related=related_articles(shown))


@router.post("/help/requests")
def open_request(
    request: Request,
    who: Checked,
    scope: str = "",
    subject: Text = "",
    description: Text = "",
    billing_account_id: Text = "",
    suggested_article: Text = "",
) -> Response:
    user = signed_in(request)
    try:
        with UnitOfWork(request.app.state.engine) as uow:
            opened = open_support_request(
                uow,
                request.app.state.clock,
                user,
                subject=subject,
                description=description,
                locale=who.locale,
                billing_account_id=billing_account_id or None,
                suggested_article=suggested_article or None,
                client_address=request.client.host if request.client else None,
            )
    except SettleError as error:
        found = recommend(description, who.locale) if description.strip() else None
        return _page(
            request,
            user,
            scope,
            "help/help.html",
            status_code=status_of(error),
            problem=description,
            found=found,
            subject=subject,
            request_error=message_of(error, who.locale),
        )
    return _page(request, user, scope, "help/help.html", opened=opened, problem="", found=None)
