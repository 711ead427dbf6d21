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

from settle import ids
from settle.accounts.model import check_locale
from settle.card_numbers import redact_card_numbers
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
SUBJECT_SHOWN = 80  # a subject made from the description is cut near this length
DESCRIPTION_LENGTH = 5000  # also the longest reply
PHONE = re.compile(r"\+?[0-9 ()./-]+")
PHONE_DIGITS = (6, 20)
PHONE_LENGTH = 40  # with its spaces and dashes


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
    OPEN = "open"  # waiting for the provider's staff
    ANSWERED = "answered"  # the staff replied; a follow-up from the user opens it again
    CLOSED = "closed"


STATUS_LABELS = {
    SupportRequestStatus.OPEN: N_("Open"),
    SupportRequestStatus.ANSWERED: N_("Answered"),
    SupportRequestStatus.CLOSED: N_("Closed"),
}


class ProblemType(StrEnum):
    """What a support request is about, chosen from a fixed list so the staff can sort them."""

    PAYING = "paying"
    PAYMENT_METHODS = "payment_methods"
    INVOICE_CONTENT = "invoice_content"
    ACCOUNT_AND_ROLES = "account_and_roles"
    REFUNDS = "refunds"
    OTHER = "other"


PROBLEM_TYPE_LABELS = {
    ProblemType.PAYING: N_("Paying an invoice"),
    ProblemType.PAYMENT_METHODS: N_("Payment methods"),
    ProblemType.INVOICE_CONTENT: N_("Invoice content or PDF"),
    ProblemType.ACCOUNT_AND_ROLES: N_("Billing account and roles"),
    ProblemType.REFUNDS: N_("Refunds"),
    ProblemType.OTHER: N_("Other"),
}


class ContactMethod(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class SupportRequestNotFound(NotFound):
    code = "SupportRequestNotFound"
    message = N_("Support request '{id}' was not found.")


class SupportReplyNotFound(NotFound):
    code = "SupportReplyNotFound"
    message = N_("Message '{id}' of a support request was not found.")


class SubjectLength(Invalid):
    code = "InvalidSubject"
    message = N_("The subject must have 1 to {maximum} characters.")


class DescriptionLength(Invalid):
    code = "InvalidDescription"
    message = N_("The description must have 1 to {maximum} characters.")


class MessageLength(Invalid):
    code = "InvalidMessage"
    message = N_("The message must have 1 to {maximum} characters.")


class UnknownProblemType(Invalid):
    code = "InvalidProblemType"
    message = N_("Choose the type of problem from the list.")


class UnknownContactMethod(Invalid):
    code = "InvalidContactMethod"
    message = N_("Choose whether we contact you by e-mail or by phone.")


class PhoneNumberMissing(Invalid):
    code = "PhoneNumberRequired"
    message = N_("Enter the phone number we should call you on.")


class InvalidPhoneNumber(Invalid):
    code = "InvalidPhoneNumber"
    message = N_("Enter a phone number of {minimum} to {maximum} digits, optionally starting with +.")


class SupportRequestClosed(Conflict):
    code = "SupportRequestClosed"
    message = N_("Support request '{id}' is already closed.")


def new_request_id(now: datetime) -> str:
    """A number people can read out on the phone: the date, then eight random digits. The dash keeps
    it from looking like a card number (13 to 19 digits in a row) to scanners of mail and logs."""
    return f"{now:%y%m%d}-{secrets.randbelow(10**8):08d}"


def problem_type_of(value: str) -> ProblemType:
    """The problem type a form or API sent (UnknownProblemType for anything not on the list)."""
    try:
        return ProblemType(value.strip())
    except ValueError:
        raise UnknownProblemType() from None


def contact_method_of(value: str) -> ContactMethod:
    try:
        return ContactMethod(value.strip())
    except ValueError:
        raise UnknownContactMethod() from None


def check_phone(method: ContactMethod, phone: str | None) -> str | None:
    """The phone number to call, tidied (single spaces), when the user asked to be called; checked
    loosely, as people write them: an optional leading +, then digits with spaces, dashes, dots or
    parentheses, 6 to 20 digits in all. Asked to write, a number typed and left behind is dropped."""
    if method is ContactMethod.EMAIL:
        return None
    phone = " ".join((phone or "").split())
    if not phone:
        raise PhoneNumberMissing()
    digits = sum(character.isdigit() for character in phone)
    if len(phone) > PHONE_LENGTH or not PHONE.fullmatch(phone) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        raise InvalidPhoneNumber(minimum=PHONE_DIGITS[0], maximum=PHONE_DIGITS[1])
    return phone


def derived_subject(description: str) -> str:
    """A subject for a request sent without one: the description's first line, in the user's own
    words and language, cut at a word near SUBJECT_SHOWN characters."""
    first = " ".join(next((line for line in description.splitlines() if line.strip()), "").split())
    if len(first) <= SUBJECT_SHOWN:
        return first
    cut = first[:SUBJECT_SHOWN].rsplit(" ", 1)[0] or first[:SUBJECT_SHOWN]
    return f"{cut.rstrip(' ,.;:')}…"


def tidy_message(text: str, error: type[Invalid] = MessageLength) -> str:
    """A description or reply as kept: trimmed, of a sensible length, and without card numbers (people
    paste them in when a payment fails; staff must never see one, nor the database keep it)."""
    text = redact_card_numbers(text.strip())
    if not 1 <= len(text) <= DESCRIPTION_LENGTH:
        raise error(maximum=DESCRIPTION_LENGTH)
    return text


@dataclass(frozen=True)
class Contact:
    """How the user wants to be answered: by e-mail (to their sign-in address) or by phone."""

    method: ContactMethod = ContactMethod.EMAIL
    phone: str | None = None

    @classmethod
    def of(cls, method: str, phone: str | None) -> Contact:
        chosen = contact_method_of(method)
        return cls(chosen, check_phone(chosen, phone))


@dataclass(frozen=True)
class About:
    """What a request is about in the user's billing: the ids the service has checked they may see."""

    billing_account_id: str | None = None
    billing_profile_id: str | None = None
    invoice_id: str | None = None


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
    problem_type: ProblemType
    billing_profile_id: str | None
    invoice_id: str | None
    contact_method: ContactMethod
    contact_phone: str | None

    @classmethod
    def open(
        cls,
        *,
        user_id: str,
        problem_type: ProblemType,
        subject: str,
        description: str,
        locale: str,
        about: About,
        contact: Contact,
        suggested_article: str | None,
        now: datetime,
    ) -> SupportRequest:
        """A new, open request. Without a subject, its description's first line is the subject."""
        description = tidy_message(description, DescriptionLength)
        subject = redact_card_numbers(" ".join(subject.split())) or derived_subject(description)  # one line
        if not 1 <= len(subject) <= SUBJECT_LENGTH:
            raise SubjectLength(maximum=SUBJECT_LENGTH)
        check_locale(locale)
        if suggested_article is not None and not is_article_id(suggested_article):
            raise ArticleNotFound(id=suggested_article)
        return cls(
            id=new_request_id(now),
            user_id=user_id,
            billing_account_id=about.billing_account_id,
            locale=locale,
            subject=subject,
            description=description,
            suggested_article=suggested_article,
            status=SupportRequestStatus.OPEN,
            created_at=now,
            problem_type=problem_type,
            billing_profile_id=about.billing_profile_id,
            invoice_id=about.invoice_id,
            contact_method=contact.method,
            contact_phone=contact.phone,
        )

    @property
    def contact(self) -> Contact:
        return Contact(self.contact_method, self.contact_phone)

    def closed(self) -> SupportRequest:
        if self.status is SupportRequestStatus.CLOSED:
            raise SupportRequestClosed(id=self.id)
        return replace(self, status=SupportRequestStatus.CLOSED)

    def answered(self) -> SupportRequest:
        """After a reply of the staff (a closed request takes none: the user could not follow up)."""
        if self.status is SupportRequestStatus.CLOSED:
            raise SupportRequestClosed(id=self.id)
        return replace(self, status=SupportRequestStatus.ANSWERED)

    def followed_up(self) -> SupportRequest:
        """After the user wrote again: the staff have something to answer."""
        if self.status is SupportRequestStatus.CLOSED:
            raise SupportRequestClosed(id=self.id)
        return replace(self, status=SupportRequestStatus.OPEN)


OPERATOR = "operator"  # the author of the staff's replies (which operator: the audit trail says)


@dataclass(frozen=True)
class SupportReply:
    """One message in a request's conversation after its description: the staff's answer, or the
    user's follow-up (`author` is their user id)."""

    id: str
    request_id: str
    author: str
    body: str
    created_at: datetime

    @classmethod
    def new(cls, request: SupportRequest, author: str, body: str, now: datetime) -> SupportReply:
        return cls(ids.opaque_id(), request.id, author, tidy_message(body), now)

    @property
    def from_operator(self) -> bool:
        return self.author == OPERATOR
