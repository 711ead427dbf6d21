"""Payment methods (of a billing account, linked to a billing profile) and Settle's extension: pay an
invoice, exactly once per Idempotency-Key (DESIGN §4)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError

from settle.access.model import Scope
from settle.accounts.scopes import get_billing_profile_for
from settle.i18n import gettext
from settle.money import Money
from settle.payments.lists import list_account_payment_methods
from settle.payments.model import (
    DECLINE_MESSAGES,
    CardPolicy,
    Declined,
    InProgress,
    PaymentMethodNotFound,
    PaymentOutcome,
    PaymentStatus,
    PayRequest,
    RequiresAction,
)
from settle.payments.model import Payment as SettlePayment
from settle.payments.paying import pay_invoice
from settle.payments.service import list_payment_methods, remove_own_payment_method
from settle.web.api import schemas
from settle.web.api import serialise as shape
from settle.web.api.auth import ApiCaller, Caller
from settle.web.api.errors import (
    ERROR_RESPONSES,
    FORBIDDEN_RESPONSE,
    AzureRoute,
    InvalidJson,
    InvalidParameter,
    request_locale,
)
from settle.web.api.params import (
    ACCOUNT,
    PAYMENT_METHODS,
    PROFILE,
    AccountName,
    InvoiceName,
    PaymentMethodName,
    ProfileName,
)
from settle.web.api.serialise import AzureJSON

_STATUSES: dict[PaymentStatus, schemas.PaymentStatus] = {
    PaymentStatus.SUCCEEDED: "Succeeded",
    PaymentStatus.REQUIRES_ACTION: "RequiresAction",
}
router = APIRouter(route_class=AzureRoute, tags=["Payment methods and payments"], responses=ERROR_RESPONSES)


def _error(description: str) -> dict[str, Any]:
    return {"model": schemas.ErrorResponse, "description": description}


PAY_RESPONSES: dict[int | str, dict[str, Any]] = {
    **FORBIDDEN_RESPONSE,
    202: {"model": schemas.Payment, "description": "3-D Secure: confirm at challengeUrl; or not yet known (Pending)"},
    402: _error("Declined: additionalInfo carries the decline code; the invoice stays payable"),
    409: _error("PaymentInProgress, AlreadyPaid, AmountChanged, InvoiceVoided or PayNowNotOffered"),
    422: _error("IdempotencyKeyReused: the key was used for a different request"),
    503: _error("The payment processor did not answer"),
}
IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="A new key for each payment; the same key (with the same body) to retry it safely",
    ),
]


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its $defs written in place (OpenAPI resolves $ref from the document root)."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(definitions[node["$ref"].rsplit("/", 1)[-1]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


PAY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline(schemas.PayInvoice.model_json_schema(by_alias=True))}},
    }
}


@router.post(
    f"{ACCOUNT}/invoices/{{invoiceName}}/pay",
    response_model=schemas.Payment,
    responses=PAY_RESPONSES,
    openapi_extra=PAY_BODY,
    operation_id="Invoices_Pay",
    tags=["Invoices"],
)
async def pay(
    request: Request, caller: ApiCaller, account: AccountName, number: InvoiceName, key: IdempotencyKey
) -> AzureJSON:
    """Settle's extension: charge the amount due to a saved card. 200 when paid, 202 when the card asks for
    3-D Secure (or the processor has not answered yet), 402 when declined."""
    body = _pay_body(await request.body())
    seen = Money.from_decimal(body.amount.value, body.amount.currency)
    method_id = body.payment_method_id.rstrip("/").rsplit("/", 1)[-1]
    payment_request = PayRequest(number, method_id, seen, key, caller.client_address)
    outcome = await run_in_threadpool(_pay, caller, account, payment_request)
    if isinstance(outcome, Declined):
        return _declined(request, outcome.payment)
    status = 202 if isinstance(outcome, RequiresAction | InProgress) else 200
    return AzureJSON(_payment(account, outcome.payment), status_code=status)


def _pay_body(raw: bytes) -> schemas.PayInvoice:
    """The body read with every JSON number as an exact Decimal (never a float)."""
    try:
        parsed = json.loads(raw, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise InvalidJson() from None
    try:
        return schemas.PayInvoice.model_validate(parsed, strict=True)
    except ValidationError as problem:
        location = problem.errors()[0]["loc"] if problem.errors() else ()
        raise InvalidParameter(name=".".join(str(part) for part in location) or "body") from None


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number")


def _pay(caller: Caller, account: str, request: PayRequest) -> PaymentOutcome:
    """One transaction checks that the invoice is in `account` and visible to the caller, with the rest."""
    settings = caller.settings
    policy = CardPolicy(limits=settings.card_limits, refuse_prepaid=settings.refuse_prepaid_cards)
    return pay_invoice(
        caller.engine,
        caller.processor,
        caller.clock,
        actor_id=caller.user.id,
        request=request,
        policy=policy,
        tz=settings.timezone,
        within=Scope(account),
    )


def _payment(account: str, payment: SettlePayment) -> schemas.Payment:
    status = _STATUSES.get(payment.status, "Pending")
    invoice_id = shape.invoice_id(account, payment.invoice_id)
    return schemas.Payment(
        id=f"{invoice_id}/payments/{payment.id}",
        name=payment.id,
        type=f"{shape.ACCOUNT_TYPE}/invoices/payments",
        properties=schemas.PaymentProperties(
            status=status,
            invoice_id=invoice_id,
            amount=shape.amount(payment.amount),
            date=payment.completed_at or payment.created_at,
            payment_method_id=shape.payment_method_id(payment.payment_method_id) if payment.payment_method_id else None,
            payment_method_family="CreditCard",
            receipt_number=payment.receipt_number,
            challenge_url=payment.challenge_url,
        ),
    )


def _declined(request: Request, payment: SettlePayment) -> AzureJSON:
    assert payment.decline_code is not None
    info = {"declineCode": payment.decline_code.value, "paymentId": payment.id, "invoiceName": payment.invoice_id}
    detail = schemas.ErrorDetail(
        code="PaymentDeclined",
        message=gettext(request_locale(request), DECLINE_MESSAGES[payment.decline_code]),
        additional_info=[schemas.ErrorAdditionalInfo(type="PaymentDeclined", info=info)],
    )
    return AzureJSON(schemas.ErrorResponse(error=detail), status_code=402)


@router.get(
    f"{ACCOUNT}/paymentMethods",
    response_model=schemas.PaymentMethodList,
    operation_id="PaymentMethods_ListByBillingAccount",
)
def list_account_methods(caller: ApiCaller, account: AccountName) -> AzureJSON:
    """The payment methods linked to the account's billing profiles whose invoices the caller may see."""
    with caller.reading() as uow:
        views = list_account_payment_methods(uow, caller.clock, actor_id=caller.user.id, account_id=account)
    return AzureJSON(schemas.PaymentMethodList(value=[shape.payment_method(account, view) for view in views]))


@router.get(
    f"{ACCOUNT}/paymentMethods/{{paymentMethodName}}",
    response_model=schemas.PaymentMethod,
    operation_id="PaymentMethods_GetByBillingAccount",
)
def get_account_method(caller: ApiCaller, account: AccountName, method: PaymentMethodName) -> AzureJSON:
    with caller.reading() as uow:
        views = list_account_payment_methods(uow, caller.clock, actor_id=caller.user.id, account_id=account)
    for view in views:
        if view.method.id == method:
            return AzureJSON(shape.payment_method(account, view))
    raise PaymentMethodNotFound(id=method)


@router.get(
    f"{PROFILE}/paymentMethodLinks",
    response_model=schemas.PaymentMethodLinkList,
    operation_id="PaymentMethods_ListByBillingProfile",
)
def list_profile_methods(caller: ApiCaller, account: AccountName, profile: ProfileName) -> AzureJSON:
    """The payment methods linked to the billing profile, its default first."""
    with caller.reading() as uow:
        found = get_billing_profile_for(uow, caller.user.id, account, profile)
        views = list_payment_methods(uow, caller.clock, actor_id=caller.user.id, profile_id=found.id)
    return AzureJSON(schemas.PaymentMethodLinkList(value=[shape.payment_method_link(found, view) for view in views]))


@router.get(
    f"{PROFILE}/paymentMethodLinks/{{paymentMethodName}}",
    response_model=schemas.PaymentMethodLink,
    operation_id="PaymentMethods_GetByBillingProfile",
)
def get_profile_method(
    caller: ApiCaller, account: AccountName, profile: ProfileName, method: PaymentMethodName
) -> AzureJSON:
    with caller.reading() as uow:
        found = get_billing_profile_for(uow, caller.user.id, account, profile)
        views = list_payment_methods(uow, caller.clock, actor_id=caller.user.id, profile_id=found.id)
    for view in views:
        if view.method.id == method:
            return AzureJSON(shape.payment_method_link(found, view))
    raise PaymentMethodNotFound(id=method)


@router.delete(
    f"{PAYMENT_METHODS}/{{paymentMethodName}}",
    status_code=204,
    response_class=Response,
    responses={
        **FORBIDDEN_RESPONSE,
        409: _error("PaymentMethodIsDefault: a billing profile with unpaid invoices pays with it by default"),
    },
    operation_id="PaymentMethods_DeleteByUser",
)
def delete_own_method(caller: ApiCaller, method: PaymentMethodName) -> Response:
    """Delete one of the caller's own payment methods from every billing profile it is linked to: the caller
    must manage payment methods at each, and a default must be replaced first while invoices are unpaid."""
    with caller.writing() as uow:
        remove_own_payment_method(
            uow, caller.clock, actor_id=caller.user.id, method_id=method, client_address=caller.client_address
        )
    return Response(status_code=204)
