"""Use cases of Help + support: recommending an article for a problem, and the support requests
people open when no article helped."""

from __future__ import annotations

from settle.access.model import Scope
from settle.access.service import held_at_visible_scope, record
from settle.accounts.model import User
from settle.clock import Clock
from settle.help.articles import library
from settle.help.matcher import recommend, suggest
from settle.help.model import (
    Article,
    ArticleNotFound,
    SupportRequest,
    SupportRequestNotFound,
    SupportRequestStatus,
)
from settle.uow import UnitOfWork

__all__ = [
    "close_support_request",
    "get_article",
    "get_support_request",
    "get_support_request_for",
    "list_support_requests",
    "open_support_request",
    "recommend",
    "related_articles",
    "suggest",
    "support_requests_of",
]


def get_article(article_id: str, locale: str) -> Article:
    """One article in one language (ArticleNotFound if there is none)."""
    return library().get(article_id, locale)


def related_articles(article: Article) -> list[Article]:
    """The article's Recommended documents, in its language."""
    return library().related(article)


def open_support_request(
    uow: UnitOfWork,
    clock: Clock,
    actor: User,
    *,
    subject: str,
    description: str,
    locale: str,
    billing_account_id: str | None = None,
    suggested_article: str | None = None,
    client_address: str | None = None,
) -> SupportRequest:
    """A user asks the provider's staff for help, about a billing account they can see or in general."""
    if billing_account_id is not None:
        held_at_visible_scope(uow, actor.id, Scope(billing_account_id))  # not found unless they see it
    if suggested_article is not None and suggested_article not in library().ids:
        raise ArticleNotFound(id=suggested_article)
    request = SupportRequest.open(
        user_id=actor.id,
        subject=subject,
        description=description,
        locale=locale,
        billing_account_id=billing_account_id,
        suggested_article=suggested_article,
        now=clock.now(),
    )
    uow.support_requests.add(request)
    details = {}
    if billing_account_id is not None:
        details["billing_account"] = billing_account_id
    if suggested_article is not None:
        details["suggested_article"] = suggested_article
    record(
        uow,
        clock,
        actor.id,
        "support_request.opened",
        f"supportRequests/{request.id}",
        client_address=client_address,
        details=details,
    )
    return request


def support_requests_of(uow: UnitOfWork, actor: User, limit: int = 100) -> list[SupportRequest]:
    """The requests the user opened, newest first."""
    return uow.support_requests.for_user(actor.id, limit)


def get_support_request_for(uow: UnitOfWork, actor: User, request_id: str) -> SupportRequest:
    """One of the user's own requests; anyone else's is as unknown as one that does not exist."""
    request = uow.support_requests.find(request_id)
    if request is None or request.user_id != actor.id:
        raise SupportRequestNotFound(id=request_id)
    return request


def list_support_requests(
    uow: UnitOfWork, status: SupportRequestStatus | None = None, limit: int = 100
) -> list[SupportRequest]:
    """Every user's requests, newest first (for the provider's staff: the CLI)."""
    return uow.support_requests.latest(status, limit)


def get_support_request(uow: UnitOfWork, request_id: str) -> SupportRequest:
    """Any request by its number (for the provider's staff)."""
    return uow.support_requests.get(request_id)


def close_support_request(
    uow: UnitOfWork, clock: Clock, request_id: str, *, actor_id: str | None = None
) -> SupportRequest:
    """Mark a request done (SupportRequestClosed if it already is)."""
    closed = uow.support_requests.get(request_id).closed()
    uow.support_requests.update_status(closed)
    record(uow, clock, actor_id, "support_request.closed", f"supportRequests/{closed.id}")
    return closed
