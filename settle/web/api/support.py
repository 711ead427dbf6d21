"""Support requests as Azure's Microsoft.Support supportTickets and their communications: the
provider's operators (`settle operators add`) see every ticket and answer them; anyone else sees only the
tickets they opened and writes follow-ups on them. Another's ticket is as unknown as none (404)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from settle.help.model import PROBLEM_TYPE_LABELS, ContactMethod, SupportReply, SupportRequest, SupportRequestStatus
from settle.help.service import replies_of, visible_support_request, visible_support_requests, write_to_support_request
from settle.i18n import gettext
from settle.uow import UnitOfWork
from settle.web.api import schemas
from settle.web.api import serialise as shape
from settle.web.api.auth import ApiCaller, Caller
from settle.web.api.errors import ERROR_RESPONSES, AzureRoute, request_locale
from settle.web.api.params import SUPPORT_TICKETS, SupportTicketName
from settle.web.api.serialise import AzureJSON

TICKET_TYPE = "Microsoft.Support/supportTickets"
COMMUNICATION_TYPE = "Microsoft.Support/communications"
CLASSIFICATIONS = "/providers/Microsoft.Support/services/billing/problemClassifications"
SUPPORT_SENDER = "support"
_STATUSES: dict[SupportRequestStatus, schemas.SupportStatus] = {
    SupportRequestStatus.OPEN: "Open",
    SupportRequestStatus.ANSWERED: "Answered",
    SupportRequestStatus.CLOSED: "Closed",
}
Top = Annotated[int, Query(alias="$top", ge=1, le=100, description="At most this many tickets, newest first")]

router = APIRouter(route_class=AzureRoute, tags=["Support tickets"], responses=ERROR_RESPONSES)


@router.get(SUPPORT_TICKETS, response_model=schemas.SupportTicketList, operation_id="SupportTickets_List")
def list_tickets(request: Request, caller: ApiCaller, top: Top = 100) -> AzureJSON:
    """The newest tickets: every one for an operator, the caller's own for anyone else."""
    locale = request_locale(request)
    with caller.reading() as uow:
        found = visible_support_requests(uow, caller.user, top)
        emails = _emails(uow, found)
    return AzureJSON(schemas.SupportTicketList(value=[_ticket(each, emails[each.user_id], locale) for each in found]))


@router.get(
    f"{SUPPORT_TICKETS}/{{supportTicketName}}", response_model=schemas.SupportTicket, operation_id="SupportTickets_Get"
)
def get_ticket(request: Request, caller: ApiCaller, name: SupportTicketName) -> AzureJSON:
    with caller.reading() as uow:
        ticket = visible_support_request(uow, caller.user, name)
        email = _emails(uow, [ticket])[ticket.user_id]
    return AzureJSON(_ticket(ticket, email, request_locale(request)))


@router.get(
    f"{SUPPORT_TICKETS}/{{supportTicketName}}/communications",
    response_model=schemas.CommunicationList,
    operation_id="Communications_List",
)
def list_communications(caller: ApiCaller, name: SupportTicketName) -> AzureJSON:
    """The messages after the ticket's description, oldest first."""
    with caller.reading() as uow:
        ticket = visible_support_request(uow, caller.user, name)
        replies = replies_of(uow, ticket)
        email = _emails(uow, [ticket])[ticket.user_id]
    return AzureJSON(schemas.CommunicationList(value=[_communication(ticket, reply, email) for reply in replies]))


@router.post(
    f"{SUPPORT_TICKETS}/{{supportTicketName}}/communications",
    status_code=201,
    response_model=schemas.Communication,
    responses={409: {"model": schemas.ErrorResponse, "description": "SupportRequestClosed"}},
    operation_id="Communications_Create",
)
async def create_communication(
    caller: ApiCaller, name: SupportTicketName, body: schemas.CreateCommunication
) -> AzureJSON:
    """An operator's answer (the ticket is Answered and the requester e-mailed), or the requester's
    follow-up (the ticket is Open again). A closed ticket takes none (409)."""
    ticket, reply, email = await run_in_threadpool(_write, caller, name, body.properties.body)
    return AzureJSON(_communication(ticket, reply, email), status_code=201)


def _write(caller: Caller, name: str, text: str) -> tuple[SupportRequest, SupportReply, str]:
    with caller.writing() as uow:
        ticket, reply = write_to_support_request(
            uow,
            caller.clock,
            caller.user,
            name,
            text,
            client_address=caller.client_address,
        )
        return ticket, reply, _emails(uow, [ticket])[ticket.user_id]


def _emails(uow: UnitOfWork, tickets: list[SupportRequest]) -> dict[str, str]:
    return {user_id: uow.users.get(user_id).email for user_id in {ticket.user_id for ticket in tickets}}


def ticket_id(number: str) -> str:
    return f"{SUPPORT_TICKETS}/{number}"


def _ticket(ticket: SupportRequest, email: str, locale: str) -> schemas.SupportTicket:
    account, profile, invoice = ticket.billing_account_id, ticket.billing_profile_id, ticket.invoice_id
    return schemas.SupportTicket(
        id=ticket_id(ticket.id),
        name=ticket.id,
        type=TICKET_TYPE,
        properties=schemas.SupportTicketProperties(
            support_ticket_id=ticket.id,
            title=ticket.subject,
            description=ticket.description,
            problem_classification_id=f"{CLASSIFICATIONS}/{ticket.problem_type.value}",
            problem_classification_display_name=gettext(locale, PROBLEM_TYPE_LABELS[ticket.problem_type]),
            status=_STATUSES[ticket.status],
            created_date=ticket.created_at,
            contact_details=schemas.SupportContact(
                preferred_contact_method="phone" if ticket.contact_method is ContactMethod.PHONE else "email",
                primary_email_address=email,
                phone_number=ticket.contact_phone,
                preferred_support_language=_language(ticket.locale),
            ),
            billing_account_id=shape.account_id(account) if account else None,
            billing_profile_id=shape.profile_id(account, profile) if account and profile else None,
            invoice_id=shape.invoice_id(account, invoice) if account and invoice else None,
        ),
    )


def _language(locale: str) -> schemas.SupportLanguage:
    languages: dict[str, schemas.SupportLanguage] = {"en": "en", "nl": "nl", "da": "da"}
    return languages[locale]


def _communication(ticket: SupportRequest, reply: SupportReply, requester: str) -> schemas.Communication:
    return schemas.Communication(
        id=f"{ticket_id(ticket.id)}/communications/{reply.id}",
        name=reply.id,
        type=COMMUNICATION_TYPE,
        properties=schemas.CommunicationProperties(
            communication_type="web",
            communication_direction="outbound" if reply.from_operator else "inbound",
            sender=SUPPORT_SENDER if reply.from_operator else requester,
            subject=f"RE: {ticket.subject}",
            body=reply.body,
            created_date=reply.created_at,
        ),
    )
