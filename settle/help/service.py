"""Use cases of Help + support: recommending an article for a problem, the support requests people
open when no article helped, and the conversation that follows (the staff's replies, by e-mail too,
and the user's follow-ups)."""

from __future__ import annotations

from dataclasses import dataclass

from settle.access.model import Permission, Scope
from settle.access.operators import is_operator
from settle.access.service import held_at_visible_scope, record, visible_profile_ids
from settle.accounts.model import BillingAccount, BillingProfile, BillingProfileNotFound, User
from settle.accounts.scopes import BillingScope
from settle.clock import Clock
from settle.errors import N_, Invalid
from settle.help.articles import library
from settle.help.matcher import recommend, suggest
from settle.help.model import (
    OPERATOR,
    About,
    Article,
    ArticleNotFound,
    Contact,
    SupportReply,
    SupportRequest,
    SupportRequestNotFound,
    SupportRequestStatus,
    problem_type_of,
)
from settle.invoices.service import get_invoice_for
from settle.notify.model import MessageKind
from settle.notify.model import Recipient as MailRecipient
from settle.notify.service import enqueue
from settle.uow import UnitOfWork

__all__ = [
    "SupportConversation",
    "SupportRequestForm",
    "answer_support_request",
    "close_support_request",
    "follow_up_support_request",
    "get_article",
    "get_conversation_for",
    "get_support_request",
    "get_support_request_for",
    "list_support_requests",
    "open_support_request",
    "recommend",
    "related_articles",
    "replies_of",
    "suggest",
    "support_profiles_at",
    "support_requests_of",
    "visible_support_request",
    "visible_support_requests",
    "write_to_support_request",
]


class InvoiceNotOnProfile(Invalid):
    code = "InvoiceNotOnBillingProfile"
    message = N_("Invoice '{invoice}' is not an invoice of the billing profile you chose.")


def get_article(article_id: str, locale: str) -> Article:
    """One article in one language (ArticleNotFound if there is none)."""
    return library().get(article_id, locale)


def related_articles(article: Article) -> list[Article]:
    """The article's Recommended documents, in its language."""
    return library().related(article)


@dataclass(frozen=True)
class SupportRequestForm:
    """What the user filled in, as sent: the service checks every part of it."""

    problem_type: str
    description: str
    subject: str = ""  # empty: the description's first line
    billing_account_id: str | None = None
    billing_profile_id: str | None = None
    invoice: str | None = None  # the invoice number
    contact_method: str = "email"
    contact_phone: str | None = None
    suggested_article: str | None = None


def open_support_request(
    uow: UnitOfWork,
    clock: Clock,
    actor: User,
    form: SupportRequestForm,
    *,
    locale: str,
    client_address: str | None = None,
) -> SupportRequest:
    """A user asks the provider's staff for help: in general, or about a billing account, billing
    profile or invoice they can see (anything else is as unknown as what does not exist)."""
    problem_type = problem_type_of(form.problem_type)
    contact = Contact.of(form.contact_method, form.contact_phone)
    about = _about(uow, actor, form)
    if form.suggested_article is not None and form.suggested_article not in library().ids:
        raise ArticleNotFound(id=form.suggested_article)
    request = SupportRequest.open(
        user_id=actor.id,
        problem_type=problem_type,
        subject=form.subject,
        description=form.description,
        locale=locale,
        about=about,
        contact=contact,
        suggested_article=form.suggested_article,
        now=clock.now(),
    )
    uow.support_requests.add(request)
    details = {"problem_type": problem_type.value, "contact": contact.method.value}
    for name, value in (
        ("billing_account", about.billing_account_id),
        ("billing_profile", about.billing_profile_id),
        ("invoice", about.invoice_id),
        ("suggested_article", form.suggested_article),
    ):
        if value is not None:
            details[name] = value
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


def _about(uow: UnitOfWork, actor: User, form: SupportRequestForm) -> About:
    """The account, profile and invoice the request is about, each checked to be visible to the
    user. The invoice decides its profile, the profile its account."""
    account_id, profile_id = form.billing_account_id or None, form.billing_profile_id or None
    number = (form.invoice or "").strip().upper() or None
    invoice = get_invoice_for(uow, actor.id, number) if number else None
    if profile_id is not None:
        profile = _visible_profile(uow, actor, profile_id)
        account_id = profile.billing_account_id
        if invoice is not None and invoice.billing_profile_id != profile.id:
            raise InvoiceNotOnProfile(invoice=invoice.id)
    if invoice is not None:
        return About(invoice.billing_account_id, invoice.billing_profile_id, invoice.id)
    if account_id is not None and profile_id is None:
        held_at_visible_scope(uow, actor.id, Scope(account_id))
    return About(account_id, profile_id)


def _visible_profile(uow: UnitOfWork, actor: User, profile_id: str) -> BillingProfile:
    profile = uow.profiles.find(profile_id)
    if profile is None:
        raise BillingProfileNotFound(id=profile_id)
    held_at_visible_scope(uow, actor.id, Scope(profile.billing_account_id, profile.id))
    return profile


def support_profiles_at(uow: UnitOfWork, actor: User, where: BillingScope | None) -> list[BillingProfile]:
    """The billing profiles a request may be about, at the portal's current scope: those of the
    account (or the one profile) that the user may see."""
    if where is None:
        return []
    visible = visible_profile_ids(uow, actor.id, Permission.VIEW, where.scope.billing_account_id)
    profiles = uow.profiles.list_for_account(where.scope.billing_account_id)
    wanted = where.scope.billing_profile_id
    return [p for p in profiles if p.id in visible and wanted in (None, p.id)]


def support_requests_of(uow: UnitOfWork, actor: User, limit: int = 100) -> list[SupportRequest]:
    """The requests the user opened, newest first."""
    return uow.support_requests.for_user(actor.id, limit)


def get_support_request_for(uow: UnitOfWork, actor: User, request_id: str) -> SupportRequest:
    """One of the user's own requests; anyone else's is as unknown as one that does not exist."""
    request = uow.support_requests.find(request_id)
    if request is None or request.user_id != actor.id:
        raise SupportRequestNotFound(id=request_id)
    return request


@dataclass(frozen=True)
class SupportConversation:
    """A request as its page shows it: the names of what it is about, and the messages after it."""

    request: SupportRequest
    replies: list[SupportReply]
    account: BillingAccount | None
    profile: BillingProfile | None


def get_conversation_for(uow: UnitOfWork, actor: User, request_id: str) -> SupportConversation:
    """One of the user's own requests with its conversation (SupportRequestNotFound for anyone else's)."""
    request = get_support_request_for(uow, actor, request_id)
    account = uow.accounts.find(request.billing_account_id) if request.billing_account_id else None
    profile = uow.profiles.find(request.billing_profile_id) if request.billing_profile_id else None
    return SupportConversation(request, replies_of(uow, request), account, profile)


def visible_support_requests(uow: UnitOfWork, actor: User, limit: int = 100) -> list[SupportRequest]:
    """Every request for the provider's operators, a user's own for anyone else."""
    if is_operator(uow, actor.id):
        return uow.support_requests.latest(None, limit)
    return support_requests_of(uow, actor, limit)


def visible_support_request(uow: UnitOfWork, actor: User, request_id: str) -> SupportRequest:
    """Any request for an operator; only their own for anyone else (SupportRequestNotFound)."""
    if is_operator(uow, actor.id):
        return uow.support_requests.get(request_id)
    return get_support_request_for(uow, actor, request_id)


def replies_of(uow: UnitOfWork, request: SupportRequest) -> list[SupportReply]:
    """The request's conversation after its description, oldest first."""
    return uow.support_requests.replies(request.id)


def list_support_requests(
    uow: UnitOfWork, status: SupportRequestStatus | None = None, limit: int = 100
) -> list[SupportRequest]:
    """Every user's requests, newest first (for the provider's staff: the CLI)."""
    return uow.support_requests.latest(status, limit)


def get_support_request(uow: UnitOfWork, request_id: str) -> SupportRequest:
    """Any request by its number (for the provider's staff)."""
    return uow.support_requests.get(request_id)


def answer_support_request(
    uow: UnitOfWork,
    clock: Clock,
    request_id: str,
    body: str,
    *,
    close: bool = False,
    actor_id: str | None = None,
    client_address: str | None = None,
) -> tuple[SupportRequest, SupportReply]:
    """The staff answer a request (`actor_id` None: at the command line): the reply is stored, the
    request is Answered (or Closed with `close`), and the user is e-mailed in the request's language."""
    request = uow.support_requests.get(request_id)
    answered = request.answered()
    reply = SupportReply.new(request, OPERATOR, body, clock.now())
    uow.support_requests.add_reply(reply)
    if close:
        answered = answered.closed()
    uow.support_requests.update_status(answered)
    details = {"reply": reply.id, "status": answered.status.value}
    record(
        uow,
        clock,
        actor_id,
        "support_request.answered",
        _resource(request),
        client_address=client_address,
        details=details,
    )
    user = uow.users.get(request.user_id)
    enqueue(uow, clock, MessageKind.SUPPORT_REPLY, reply.id, [MailRecipient(user.email, request.locale)])
    return answered, reply


def follow_up_support_request(
    uow: UnitOfWork, clock: Clock, actor: User, request_id: str, body: str, *, client_address: str | None = None
) -> tuple[SupportRequest, SupportReply]:
    """The user writes again on their own request (not a closed one): it is Open for the staff again."""
    request = get_support_request_for(uow, actor, request_id)
    reopened = request.followed_up()
    reply = SupportReply.new(request, actor.id, body, clock.now())
    uow.support_requests.add_reply(reply)
    uow.support_requests.update_status(reopened)
    details = {"reply": reply.id}
    record(
        uow,
        clock,
        actor.id,
        "support_request.followed_up",
        _resource(request),
        client_address=client_address,
        details=details,
    )
    return reopened, reply


def write_to_support_request(
    uow: UnitOfWork,
    clock: Clock,
    actor: User,
    request_id: str,
    body: str,
    *,
    client_address: str | None = None,
) -> tuple[SupportRequest, SupportReply]:
    """A message on a request through the API: an operator's is an answer (even on a request they
    opened themselves: they are the staff), the owner's a follow-up; anyone else finds no request."""
    if is_operator(uow, actor.id):
        return answer_support_request(uow, clock, request_id, body, actor_id=actor.id, client_address=client_address)
    return follow_up_support_request(uow, clock, actor, request_id, body, client_address=client_address)


def close_support_request(
    uow: UnitOfWork, clock: Clock, request_id: str, *, actor_id: str | None = None
) -> SupportRequest:
    """Mark a request done (SupportRequestClosed if it already is)."""
    closed = uow.support_requests.get(request_id).closed()
    uow.support_requests.update_status(closed)
    record(uow, clock, actor_id, "support_request.closed", _resource(closed))
    return closed


def _resource(request: SupportRequest) -> str:
    return f"supportRequests/{request.id}"
