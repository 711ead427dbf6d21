"""Help + support: recommended-steps articles, what the matcher recommends for a problem, and the
support requests people open when no article helped (DESIGN §8)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from settle.accounts.model import check_locale
from settle.errors import N_, Conflict, Invalid, NotFound

SCHEME = "settle:"
# The portal screens an article may link to; `help/<article id>` links to another article.
LINK_TARGETS = frozenset(
    {
        "invoices",
        "payment-methods",
        "billing-profiles",
        "payment-history",
        "properties",
        "access-control",
        "overview",
        "help",
    }
)
HELP_PREFIX = "help/"
ARTICLE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ARTICLE_ID_LENGTH = 80
SUBJECT_LENGTH = 200
DESCRIPTION_LENGTH = 5000


class ArticleNotFound(NotFound):
    code = "ArticleNotFound"
    message = N_("Help article '{id}' was not found.")


class UnknownLinkTarget(ValueError):
    """An article links to a screen the portal does not have (a mistake in the article)."""


def is_article_id(value: str) -> bool:
    return len(value) <= ARTICLE_ID_LENGTH and ARTICLE_ID.match(value) is not None


def _markdown() -> MarkdownIt:
    # CommonMark with tables; raw HTML is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


_MARKDOWN = _markdown()


def _links(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        if token.type == "link_open":
            yield token
        if token.children:
            yield from _links(token.children)


@dataclass(frozen=True)
class Article:
    """One recommended-steps article in one language. The same `id` names it in every language."""

    id: str
    locale: str
    title: str
    summary: str
    body: str  # Markdown; portal links are written `[Go to Invoices](settle:invoices)`
    topics: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    related: tuple[str, ...] = ()  # ids of the Recommended documents
    links: tuple[str, ...] = ()  # the portal screens the body links to

    def link_targets(self) -> list[str]:
        """Every `settle:` target the body links to, in order."""
        hrefs = (str(token.attrGet("href") or "") for token in _links(_MARKDOWN.parse(self.body)))
        return [href.removeprefix(SCHEME) for href in hrefs if href.startswith(SCHEME)]

    def html(self, link_for: Callable[[str], str]) -> str:
        """The body as HTML (raw HTML in the Markdown is escaped); each `settle:TARGET` link goes to
        `link_for(TARGET)`, which the portal answers with a URL in the user's billing scope."""
        env: dict[str, Any] = {}
        tokens = _MARKDOWN.parse(self.body, env)
        for token in _links(tokens):
            href = str(token.attrGet("href") or "")
            if href.startswith(SCHEME):
                target = href.removeprefix(SCHEME)
                check_link_target(target)
                token.attrSet("href", link_for(target))
        for token in tokens:  # the page shows the title as h2: the body's own headings sit below it
            if token.type in ("heading_open", "heading_close") and token.tag in ("h1", "h2", "h3", "h4", "h5"):
                token.tag = f"h{int(token.tag[1]) + 1}"
        return str(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, env))


def check_link_target(target: str, article_ids: frozenset[str] | None = None) -> None:
    """Raise UnknownLinkTarget unless `target` is a portal screen, or `help/<id>` of an article
    (one of `article_ids`, when they are given)."""
    if target in LINK_TARGETS:
        return
    article_id = target.removeprefix(HELP_PREFIX)
    known = is_article_id(article_id) and (article_ids is None or article_id in article_ids)
    if target.startswith(HELP_PREFIX) and known:
        return
    raise UnknownLinkTarget(f"unknown link target 'settle:{target}'")


@dataclass(frozen=True)
class Recommendation:
    """What the matcher found for a problem: the best article (shown in full), two alternatives, and
    the language the problem was taken to be written in. No best article: offer a support request."""

    locale: str
    best: Article | None
    alternatives: tuple[Article, ...] = ()
    ranked: tuple[Article, ...] = ()  # every article that matched at all, best first


class SupportRequestStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class SupportRequestNotFound(NotFound):
    code = "SupportRequestNotFound"
    message = N_("Support request '{id}' was not found.")


class SubjectLength(Invalid):
    code = "InvalidSubject"
    message = N_("The subject must have 1 to {maximum} characters.")


class DescriptionLength(Invalid):
    code = "InvalidDescription"
    message = N_("The description must have 1 to {maximum} characters.")


class SupportRequestClosed(Conflict):
    code = "SupportRequestClosed"
    message = N_("Support request '{id}' is already closed.")


def new_request_id(now: datetime) -> str:
    """A number people can read out on the phone: the date, then eight random digits. The dash keeps
    it from looking like a card number (13 to 19 digits in a row) to scanners of mail and logs."""
    return f"{now:%y%m%d}-{secrets.randbelow(10**8):08d}"


@dataclass(frozen=True)
class SupportRequest:
    id: str
    user_id: str
    billing_account_id: str | None
    locale: str
    subject: str
    description: str
    suggested_article: str | None  # the article the user was shown before asking
    status: SupportRequestStatus
    created_at: datetime

    @classmethod
    def open(
        cls,
        *,
        user_id: str,
        subject: str,
        description: str,
        locale: str,
        billing_account_id: str | None,
        suggested_article: str | None,
        now: datetime,
    ) -> SupportRequest:
        subject = " ".join(subject.split())  # one line
        description = description.strip()
        if not 1 <= len(subject) <= SUBJECT_LENGTH:
            raise SubjectLength(maximum=SUBJECT_LENGTH)
        if not 1 <= len(description) <= DESCRIPTION_LENGTH:
            raise DescriptionLength(maximum=DESCRIPTION_LENGTH)
        check_locale(locale)
        if suggested_article is not None and not is_article_id(suggested_article):
            raise ArticleNotFound(id=suggested_article)
        return cls(
            id=new_request_id(now),
            user_id=user_id,
            billing_account_id=billing_account_id,
            locale=locale,
            subject=subject,
            description=description,
            suggested_article=suggested_article,
            status=SupportRequestStatus.OPEN,
            created_at=now,
        )

    def closed(self) -> SupportRequest:
        if self.status is SupportRequestStatus.CLOSED:
            raise SupportRequestClosed(id=self.id)
        return replace(self, status=SupportRequestStatus.CLOSED)
