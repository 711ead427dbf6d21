"""The JSON shapes of the API: Microsoft.Billing api-version 2024-04-01's names (camelCase, `properties`
envelopes), plus Settle's pay extension. The routes answer with these models, so the OpenAPI document
and the answers cannot drift apart. Money is Decimal here and written as an exact JSON number."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema
from pydantic.alias_generators import to_camel

from settle.web.api.exact_json import exact_number_marker

# Written to JSON as a number literal with exactly its digits (pydantic would write a string): serialise.py
# turns the marked text back into the bare number after pydantic has written the whole document.
ExactNumber = Annotated[
    Decimal, PlainSerializer(exact_number_marker, when_used="json"), WithJsonSchema({"type": "number"})
]
InvoiceStatus = Literal["Due", "OverDue", "Paid", "Void"]
Family = Literal["CreditCard", "CheckWire"]
PaymentStatus = Literal["Succeeded", "Pending", "RequiresAction"]
SupportStatus = Literal["Open", "Answered", "Closed"]
SupportLanguage = Literal["en", "nl", "da"]
FailedPaymentReason = Literal["BankDeclined", "CardExpired", "IncorrectCardDetails", "Other"]


class Shape(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True, extra="forbid"
    )


class Amount(Shape):
    currency: str = Field(description="ISO 4217 code")
    value: ExactNumber = Field(description="In major units, with exactly the currency's digits")


class Address(Shape):
    company_name: str | None = None
    address_line1: str
    address_line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str


class Resource(Shape):
    id: str
    name: str
    type: str


class BillingAccountProperties(Shape):
    display_name: str
    agreement_type: Literal["MicrosoftCustomerAgreement", "EnterpriseAgreement", "MicrosoftOnlineServicesProgram"]
    account_status: Literal["Active", "Disabled"]
    has_read_access: bool
    sold_to: Address | None = None


class BillingAccount(Resource):
    properties: BillingAccountProperties


class PaymentTerm(Shape):
    term: str = Field(description="ISO 8601 duration, e.g. P30D")
    is_default: bool


class BillingProfileProperties(Shape):
    display_name: str
    currency: str
    bill_to: Address | None = None
    invoice_email_opt_in: bool
    invoice_recipients: list[str]
    status: Literal["Active"]
    system_id: str
    has_read_access: bool
    current_payment_term: PaymentTerm
    auto_pay: Literal["On", "Off"] | None = Field(
        None,
        description="Settle's extension: On when invoices are charged to the default card on their due date",
    )
    auto_pay_since: datetime | None = Field(None, description="Settle's extension: the day autoPay was turned On")


class BillingProfile(Resource):
    properties: BillingProfileProperties


class InvoiceSectionProperties(Shape):
    display_name: str
    state: Literal["Active"]
    system_id: str


class InvoiceSection(Resource):
    properties: InvoiceSectionProperties


class InvoiceDocument(Shape):
    kind: Literal["Invoice"]
    name: str


class InvoicePayment(Shape):
    amount: Amount = Field(description="What was paid (debited); a refund (credited) is negative")
    date: datetime
    payment_method_id: str | None = None
    payment_method_family: Family
    payment_method_type: str | None = None
    payment_type: Literal["debited", "credited"]


class FailedPayment(Shape):
    date: datetime
    failed_payment_reason: FailedPaymentReason


class InvoiceProperties(Shape):
    amount_due: Amount
    billed_amount: Amount
    sub_total: Amount
    tax_amount: Amount
    credit_amount: Amount
    total_amount: Amount
    invoice_date: datetime
    due_date: datetime
    invoice_period_start_date: datetime
    invoice_period_end_date: datetime
    status: InvoiceStatus = Field(
        description="A partially paid invoice is Due or OverDue, with amountDue below totalAmount"
    )
    billing_profile_id: str
    billing_profile_display_name: str | None = None
    document_type: Literal["Invoice"]
    documents: list[InvoiceDocument]
    payments: list[InvoicePayment]
    failed_payments: list[FailedPayment]


class Invoice(Resource):
    properties: InvoiceProperties


class PaymentMethodProperties(Shape):
    id: str
    account_holder_name: str | None = None
    display_name: str
    expiration: str | None = Field(None, description="month/year, e.g. 12/2029")
    family: Family
    last_four_digits: str | None = None
    payment_method_type: str | None = None
    status: Literal["active", "inactive"] = Field(description="inactive: an expired card")


class PaymentMethod(Resource):
    properties: PaymentMethodProperties


class PaymentMethodLinkProperties(Shape):
    payment_method_id: str
    account_holder_name: str | None = None
    display_name: str
    expiration: str | None = None
    family: Family
    last_four_digits: str | None = None
    payment_method_type: str | None = None
    status: Literal["active", "inactive"]


class PaymentMethodLink(Resource):
    properties: PaymentMethodLinkProperties


class BillingPermission(Shape):
    actions: list[str]
    not_actions: list[str]


class CheckAccessRequest(Shape):
    actions: list[Annotated[str, Field(max_length=200)]] = Field(max_length=100)


class CheckAccessResponse(Shape):
    action: str
    access_decision: Literal["Allowed", "NotAllowed"]


class BillingRoleDefinitionProperties(Shape):
    role_name: str
    permissions: list[BillingPermission]


class BillingRoleDefinition(Resource):
    properties: BillingRoleDefinitionProperties


class BillingRoleAssignmentProperties(Shape):
    provisioning_state: Literal["Succeeded", "Pending"]
    created_on: datetime
    created_by_principal_id: str | None = None
    principal_id: str
    principal_display_name: str
    principal_type: Literal["User"]
    user_email_address: str
    role_definition_id: str
    scope: str
    billing_account_id: str
    billing_profile_id: str | None = None
    invoice_section_id: str | None = None


class BillingRoleAssignment(Resource):
    properties: BillingRoleAssignmentProperties


class CreateBillingRoleAssignment(Shape):
    """Who gets which role: a Settle user by e-mail address (userEmailAddress) or by id (principalId)."""

    model_config = ConfigDict(extra="ignore")
    role_definition_id: str = Field(max_length=500)
    user_email_address: str | None = Field(None, max_length=254)
    principal_id: str | None = Field(None, max_length=64)


class PayAmount(Shape):
    currency: str = Field(min_length=3, max_length=3)
    value: ExactNumber = Field(description="The amount due as the payer saw it (a JSON number, read exactly)")


class PayInvoice(Shape):
    """Settle's extension: pay the amount due of an invoice with a saved card."""

    payment_method_id: str = Field(min_length=1, max_length=500, description="A payment method's resource id")
    amount: PayAmount


class PaymentProperties(Shape):
    status: PaymentStatus
    invoice_id: str
    amount: Amount
    date: datetime
    payment_method_id: str | None = None
    payment_method_family: Family
    receipt_number: str | None = None
    challenge_url: str | None = Field(None, description="RequiresAction: where the card holder confirms (3-D Secure)")


class Payment(Resource):
    properties: PaymentProperties


class RefundPayment(Shape):
    """Settle's extension (operators): give back part of a card payment, or without an amount all that is left."""

    amount: PayAmount | None = None


class RefundProperties(Shape):
    status: Literal["Succeeded", "Pending"]
    invoice_id: str
    payment_id: str
    amount: Amount
    date: datetime
    receipt_number: str | None = None
    amount_due: Amount = Field(description="The invoice's amount due after the refund")


class Refund(Resource):
    properties: RefundProperties


class TransactionProperties(Shape):
    """A charge line of an invoice, as Azure's Transactions of kind Other are."""

    kind: Literal["Other"]
    transaction_type: Literal["Billed"]
    date: datetime = Field(description="The invoice's date")
    invoice: str = Field(description="The invoice's number")
    invoice_id: str
    billing_profile_id: str
    billing_profile_display_name: str
    invoice_section_id: str
    invoice_section_display_name: str
    product_description: str
    quantity: ExactNumber = Field(description="Exact; Azure's is a whole number, Settle's may have decimals")
    service_period_start_date: datetime
    service_period_end_date: datetime
    billing_currency: str
    pricing_currency: str
    transaction_amount: Amount = Field(description="Before tax: the invoice's tax is on its subtotal, not per line")


class Transaction(Resource):
    properties: TransactionProperties


class TransactionList(Shape):
    value: list[Transaction]
    next_link: str | None = None


class DocumentDownloadResult(Shape):
    url: str = Field(description="Where to download the PDF: no token needed, valid until expiryTime")
    expiry_time: datetime


class SupportContact(Shape):
    preferred_contact_method: Literal["email", "phone"]
    primary_email_address: str = Field(description="The requester's sign-in address: answers are e-mailed there")
    phone_number: str | None = Field(None, description="Present when they asked to be called")
    preferred_support_language: SupportLanguage


class SupportTicketProperties(Shape):
    support_ticket_id: str
    title: str
    description: str
    problem_classification_id: str
    problem_classification_display_name: str = Field(description="In the language of Accept-Language")
    status: SupportStatus = Field(
        description="Answered after a reply of the provider's staff; Open again after the requester writes"
    )
    created_date: datetime
    contact_details: SupportContact
    billing_account_id: str | None = Field(None, description="Settle's extension: the billing account asked about")
    billing_profile_id: str | None = Field(None, description="Settle's extension: the billing profile asked about")
    invoice_id: str | None = Field(None, description="Settle's extension: the invoice asked about")


class SupportTicket(Resource):
    properties: SupportTicketProperties


class SupportTicketList(Shape):
    value: list[SupportTicket]


class CommunicationProperties(Shape):
    communication_type: Literal["web"]
    communication_direction: Literal["inbound", "outbound"] = Field(
        description="outbound: from the provider's staff; inbound: from the requester"
    )
    sender: str = Field(description="The requester's e-mail address, or 'support' for the provider's staff")
    subject: str
    body: str
    created_date: datetime


class Communication(Resource):
    properties: CommunicationProperties


class CommunicationList(Shape):
    value: list[Communication]


class CreateCommunicationProperties(Shape):
    body: str = Field(min_length=1, max_length=5000)
    subject: str | None = Field(None, max_length=200, description="Accepted for Azure's shape; not kept")
    sender: str | None = Field(None, max_length=254, description="Accepted for Azure's shape; the caller is the sender")


class CreateCommunication(Shape):
    """A message on a ticket: an operator's answer (e-mailed to the requester), or the requester's follow-up."""

    properties: CreateCommunicationProperties


class ErrorAdditionalInfo(Shape):
    type: str
    info: dict[str, str]


class ErrorDetail(Shape):
    code: str
    message: str
    additional_info: list[ErrorAdditionalInfo] | None = None


class ErrorResponse(Shape):
    error: ErrorDetail


class BillingAccountList(Shape):
    value: list[BillingAccount]


class BillingProfileList(Shape):
    value: list[BillingProfile]


class InvoiceSectionList(Shape):
    value: list[InvoiceSection]


class InvoiceList(Shape):
    value: list[Invoice]
    next_link: str | None = None


class PaymentMethodList(Shape):
    value: list[PaymentMethod]


class PaymentMethodLinkList(Shape):
    value: list[PaymentMethodLink]


class BillingPermissionList(Shape):
    value: list[BillingPermission]


class BillingRoleDefinitionList(Shape):
    value: list[BillingRoleDefinition]


class BillingRoleAssignmentList(Shape):
    value: list[BillingRoleAssignment]
