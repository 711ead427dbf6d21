"""Use cases of accounts: users, billing accounts, billing profiles and invoice sections."""

from __future__ import annotations

from settle import ids
from settle.access.model import Role, Scope
from settle.access.service import grant_role, record
from settle.accounts.model import (
    Address,
    AgreementType,
    BillingAccount,
    BillingProfile,
    EmailTaken,
    InvoiceSection,
    User,
    check_locale,
    check_password,
    normalise_email,
)
from settle.accounts.passwords import hash_password
from settle.clock import Clock
from settle.money import check_currency
from settle.uow import UnitOfWork


def add_user(
    uow: UnitOfWork, clock: Clock, *, email: str, display_name: str, password: str, locale: str | None = None
) -> User:
    """Create a user who can sign in; the password is kept only as an Argon2id hash."""
    email = normalise_email(email)
    check_password(password)
    if uow.users.find_by_email(email) is not None:
        raise EmailTaken(email=email)
    user = User(
        id=ids.opaque_id(),
        email=email,
        display_name=display_name.strip() or email,
        created_at=clock.now(),
        password_hash=hash_password(password),
        locale=check_locale(locale),
    )
    uow.users.add(user)
    record(uow, clock, None, "user.created", f"users/{user.id}", details={"email": email})
    return user


def create_billing_account(
    uow: UnitOfWork,
    clock: Clock,
    *,
    display_name: str,
    administrator_id: str,
    agreement_type: AgreementType = AgreementType.MICROSOFT_CUSTOMER_AGREEMENT,
    sold_to: Address | None = None,
    account_id: str | None = None,
) -> BillingAccount:
    """A new billing account; the user who signs it up is its billing account administrator,
    holding the billing account owner role from the start."""
    account = BillingAccount(
        id=account_id or ids.billing_account_id(),
        display_name=display_name,
        agreement_type=agreement_type,
        created_at=clock.now(),
        sold_to=sold_to or Address(company=display_name),
    )
    uow.accounts.add(account)
    record(uow, clock, administrator_id, "billing_account.created", f"billingAccounts/{account.id}")
    grant_role(
        uow,
        clock,
        actor_id=administrator_id,
        user_id=administrator_id,
        role=Role.BILLING_ACCOUNT_OWNER,
        scope=Scope(account.id),
    )
    return account


def add_billing_profile(
    uow: UnitOfWork,
    clock: Clock,
    *,
    billing_account_id: str,
    display_name: str,
    currency: str,
    bill_to: Address | None = None,
    invoice_email: str = "",
    invoice_language: str = "en",
    payment_terms_days: int = 30,
    profile_id: str | None = None,
    actor_id: str | None = None,
) -> BillingProfile:
    account = uow.accounts.get(billing_account_id)
    profile = BillingProfile(
        id=profile_id or ids.billing_profile_id(),
        billing_account_id=account.id,
        display_name=display_name,
        currency=check_currency(currency),
        created_at=clock.now(),
        bill_to=bill_to or account.sold_to,
        invoice_email=normalise_email(invoice_email) if invoice_email else "",
        invoice_language=invoice_language,
        payment_terms_days=payment_terms_days,
    )
    uow.profiles.add(profile)
    record(
        uow, clock, actor_id, "billing_profile.created", f"billingAccounts/{account.id}/billingProfiles/{profile.id}"
    )
    return profile


def add_invoice_section(
    uow: UnitOfWork,
    clock: Clock,
    *,
    billing_profile_id: str,
    display_name: str,
    section_id: str | None = None,
    actor_id: str | None = None,
) -> InvoiceSection:
    profile = uow.profiles.get(billing_profile_id)
    section = InvoiceSection(
        id=section_id or ids.invoice_section_id(),
        billing_profile_id=profile.id,
        display_name=display_name,
        created_at=clock.now(),
    )
    uow.sections.add(section)
    resource = f"billingAccounts/{profile.billing_account_id}/billingProfiles/{profile.id}/invoiceSections/{section.id}"
    record(uow, clock, actor_id, "invoice_section.created", resource)
    return section
