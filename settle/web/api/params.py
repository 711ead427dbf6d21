"""The path parameters of the API's routes, named as Microsoft.Billing names them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

ACCOUNTS = "/providers/Microsoft.Billing/billingAccounts"
PAYMENT_METHODS = "/providers/Microsoft.Billing/paymentMethods"  # the caller's own
SUPPORT_TICKETS = "/providers/Microsoft.Support/supportTickets"
ACCOUNT = ACCOUNTS + "/{billingAccountName}"
PROFILE = ACCOUNT + "/billingProfiles/{billingProfileName}"
SECTION = PROFILE + "/invoiceSections/{invoiceSectionName}"

AccountName = Annotated[str, Path(alias="billingAccountName", max_length=200, description="A billing account's id")]
ProfileName = Annotated[str, Path(alias="billingProfileName", max_length=200, description="A billing profile's id")]
SectionName = Annotated[str, Path(alias="invoiceSectionName", max_length=200, description="An invoice section's id")]
InvoiceName = Annotated[str, Path(alias="invoiceName", max_length=200, description="An invoice's number")]
PaymentMethodName = Annotated[str, Path(alias="paymentMethodName", max_length=200, description="A payment method's id")]
RoleDefinitionName = Annotated[str, Path(alias="roleDefinitionName", max_length=200)]
RoleAssignmentName = Annotated[str, Path(alias="billingRoleAssignmentName", max_length=200)]
SupportTicketName = Annotated[
    str, Path(alias="supportTicketName", max_length=64, description="A support request's number, e.g. 260315-01234567")
]
