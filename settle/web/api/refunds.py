"""Settle's extension for the provider's operators: refund a card payment of an invoice, in full or in
part, exactly once per Idempotency-Key (POST …/invoices/{invoice}/payments/{payment}/refund)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import ValidationError

from settle.invoices.model import Invoice
from settle.money import Money
from settle.payments.model import PaymentNotFound
from settle.payments.refund_model import Refund, RefundStatus
from settle.payments.refunds import refund_payment
from settle.web.api import schemas
from settle.web.api import serialise as shape
from settle.web.api.auth import ApiCaller, Caller
from settle.web.api.errors import ERROR_RESPONSES, FORBIDDEN_RESPONSE, AzureRoute, InvalidJson, InvalidParameter
from settle.web.api.params import PROFILE, AccountName, InvoiceName, ProfileName
from settle.web.api.payments import IdempotencyKey, _inline
from settle.web.api.serialise import AzureJSON

router = APIRouter(route_class=AzureRoute, tags=["Invoices"], responses=ERROR_RESPONSES)
PaymentName = Annotated[str, Path(alias="paymentName", max_length=200, description="A payment's id")]


def _error(description: str) -> dict[str, Any]:
    return {"model": schemas.ErrorResponse, "description": description}


REFUND_RESPONSES: dict[int | str, dict[str, Any]] = {
    **FORBIDDEN_RESPONSE,
    202: {"model": schemas.Refund, "description": "The processor has not answered yet (Pending)"},
    409: _error("PaymentNotRefundable, NothingLeftToRefund or RefundFailed"),
}


REFUND_BODY = {
    "requestBody": {
        "required": False,
        "content": {"application/json": {"schema": _inline(schemas.RefundPayment.model_json_schema(by_alias=True))}},
    }
}


@router.post(
    f"{PROFILE}/invoices/{{invoiceName}}/payments/{{paymentName}}/refund",
    response_model=schemas.Refund,
    responses=REFUND_RESPONSES,
    openapi_extra=REFUND_BODY,
    operation_id="Payments_Refund",
)
async def refund(
    request: Request,
    caller: ApiCaller,
    account: AccountName,
    profile: ProfileName,
    number: InvoiceName,
    payment: PaymentName,
    key: IdempotencyKey,
) -> AzureJSON:
    """Settle's extension, for the provider's operators (`settle operators add`): give back `amount` of a
    succeeded card payment, or all that is left of it without one. 200 when refunded, 202 pending."""
    body = _refund_body(await request.body())
    amount = Money.from_decimal(body.amount.value, body.amount.currency) if body.amount else None
    done, invoice = await run_in_threadpool(_refund, caller, (account, profile, number, payment), amount, key)
    status = 200 if done.status is RefundStatus.SUCCEEDED else 202
    return AzureJSON(_shown(invoice, done), status_code=status)


def _refund(caller: Caller, path: tuple[str, str, str, str], amount: Money | None, key: str) -> tuple[Refund, Invoice]:
    account, profile, number, payment_id = path
    with caller.reading() as uow:
        payment = uow.payments.get(payment_id)
        invoice = uow.invoices.get(payment.invoice_id)
    if (invoice.billing_account_id, invoice.billing_profile_id, invoice.id) != (account, profile, number):
        raise PaymentNotFound(id=payment_id)  # not under this path: as unknown as none
    done = refund_payment(
        caller.engine,
        caller.clock,
        caller.processor,
        payment_id=payment_id,
        idempotency_key=key,
        amount=amount,
        actor_id=caller.user.id,
        client_address=caller.client_address,
    )
    with caller.reading() as uow:
        return done, uow.invoices.get(invoice.id)


def _refund_body(raw: bytes) -> schemas.RefundPayment:
    """The body (optional) read with every JSON number as an exact Decimal (never a float)."""
    if not raw.strip():
        return schemas.RefundPayment()
    try:
        parsed = json.loads(raw, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise InvalidJson() from None
    try:
        return schemas.RefundPayment.model_validate(parsed, strict=True)
    except ValidationError as problem:
        location = problem.errors()[0]["loc"] if problem.errors() else ()
        raise InvalidParameter(name=".".join(str(part) for part in location) or "body") from None


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number")


def _shown(invoice: Invoice, done: Refund) -> schemas.Refund:
    invoice_id = f"{shape.profile_id(invoice.billing_account_id, invoice.billing_profile_id)}/invoices/{invoice.id}"
    return schemas.Refund(
        id=f"{invoice_id}/payments/{done.payment_id}/refunds/{done.id}",
        name=done.id,
        type=f"{shape.PROFILE_TYPE}/invoices/payments/refunds",
        properties=schemas.RefundProperties(
            status="Succeeded" if done.status is RefundStatus.SUCCEEDED else "Pending",
            invoice_id=invoice_id,
            payment_id=f"{invoice_id}/payments/{done.payment_id}",
            amount=shape.amount(done.amount),
            date=done.completed_at or done.created_at,
            receipt_number=done.receipt_number,
            amount_due=shape.amount(invoice.amount_due),
        ),
    )
