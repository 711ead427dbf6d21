"""Billing accounts, their billing profiles and the profiles' invoice sections: list and get, each
as far as the caller may see (anything else is 404, as if it did not exist)."""

from __future__ import annotations

from fastapi import APIRouter

from settle.accounts.scopes import (
    billing_accounts_for,
    billing_profiles_for,
    get_billing_account_for,
    get_billing_profile_for,
    get_invoice_section_for,
    invoice_sections_for,
)
from settle.web.api import schemas
from settle.web.api import serialise as shape
from settle.web.api.auth import ApiCaller
from settle.web.api.errors import ERROR_RESPONSES, AzureRoute
from settle.web.api.params import ACCOUNT, ACCOUNTS, PROFILE, AccountName, ProfileName, SectionName
from settle.web.api.serialise import AzureJSON

router = APIRouter(route_class=AzureRoute, tags=["Billing accounts"], responses=ERROR_RESPONSES)


@router.get(ACCOUNTS, response_model=schemas.BillingAccountList, operation_id="BillingAccounts_List")
def list_billing_accounts(caller: ApiCaller) -> AzureJSON:
    """The billing accounts the caller holds a role in (or below)."""
    with caller.reading() as uow:
        accounts = billing_accounts_for(uow, caller.user.id)
    return AzureJSON(schemas.BillingAccountList(value=[shape.billing_account(account) for account in accounts]))


@router.get(ACCOUNT, response_model=schemas.BillingAccount, operation_id="BillingAccounts_Get")
def get_billing_account(caller: ApiCaller, account: AccountName) -> AzureJSON:
    with caller.reading() as uow:
        found = get_billing_account_for(uow, caller.user.id, account)
    return AzureJSON(shape.billing_account(found))


@router.get(
    f"{ACCOUNT}/billingProfiles",
    response_model=schemas.BillingProfileList,
    operation_id="BillingProfiles_ListByBillingAccount",
)
def list_billing_profiles(caller: ApiCaller, account: AccountName) -> AzureJSON:
    """The billing profiles of the account that the caller may see."""
    with caller.reading() as uow:
        profiles = billing_profiles_for(uow, caller.user.id, account)
    return AzureJSON(schemas.BillingProfileList(value=[shape.billing_profile(profile) for profile in profiles]))


@router.get(PROFILE, response_model=schemas.BillingProfile, operation_id="BillingProfiles_Get")
def get_billing_profile(caller: ApiCaller, account: AccountName, profile: ProfileName) -> AzureJSON:
    with caller.reading() as uow:
        found = get_billing_profile_for(uow, caller.user.id, account, profile)
    return AzureJSON(shape.billing_profile(found))


@router.get(
    f"{PROFILE}/invoiceSections",
    response_model=schemas.InvoiceSectionList,
    operation_id="InvoiceSections_ListByBillingProfile",
)
def list_invoice_sections(caller: ApiCaller, account: AccountName, profile: ProfileName) -> AzureJSON:
    """The invoice sections of the billing profile that the caller may see."""
    with caller.reading() as uow:
        sections = invoice_sections_for(uow, caller.user.id, account, profile)
    return AzureJSON(schemas.InvoiceSectionList(value=[shape.invoice_section(account, s) for s in sections]))


@router.get(
    f"{PROFILE}/invoiceSections/{{invoiceSectionName}}",
    response_model=schemas.InvoiceSection,
    operation_id="InvoiceSections_Get",
)
def get_invoice_section(
    caller: ApiCaller, account: AccountName, profile: ProfileName, section: SectionName
) -> AzureJSON:
    with caller.reading() as uow:
        found = get_invoice_section_for(uow, caller.user.id, account, profile, section)
    return AzureJSON(shape.invoice_section(account, found))
