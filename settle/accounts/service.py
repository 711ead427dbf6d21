"""Use cases of accounts: users, billing accounts, billing profiles and invoice sections."""

from __future__ import annotations

from dataclasses import dataclass, replace

from babel import Locale

from settle import ids
from settle.access.model import Role, Scope
from settle.access.service import grant_role, record
from settle.access.verifying import send_verification
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
from settle.card_numbers import redact_card_numbers
from settle.clock import Clock
from settle.errors import N_, Forbidden, Invalid
from settle.money import check_currency
from settle.notify.model import MessageKind, Recipient
from settle.notify.service import enqueue
from settle.uow import UnitOfWork


def add_user(
    uow: UnitOfWork,
    clock: Clock,
    *,
    email: str,
    display_name: str,
    password: str,
    locale: str | None = None,
    typed_beside: tuple[str, ...] = (),
    verified: bool = False,
) -> User:
    """Create a user who can sign in; the password is kept only as an Argon2id hash. `typed_beside`:
    more of what the user typed with it (a company name), which the password must not be made of.
    `verified`: the address is vouched for by whoever creates the user (the operator at the command
    line); otherwise the user proves it with the link e-mailed to it."""
    email = normalise_email(email)
    check_password(password, related=(email, display_name, *typed_beside))
    if uow.users.find_by_email(email) is not None:
        raise EmailTaken(email=email)
    now = clock.now()
    user = User(
        id=ids.opaque_id(),
        email=email,
        display_name=redact_card_numbers(display_name.strip()) or email,
        created_at=now,
        password_hash=hash_password(password),
        locale=check_locale(locale),
        email_verified_at=now if verified else None,
    )
    uow.users.add(user)
    details = {"email": email, "verified": "yes" if verified else "no"}
    record(uow, clock, None, "user.created", f"users/{user.id}", details=details)
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


def choose_language(uow: UnitOfWork, clock: Clock, user: User, locale: str) -> User:
    """The language the user picked for themselves: the portal's and their e-mails' from now on."""
    chosen = check_locale(locale)
    if chosen == user.locale:
        return user
    uow.users.set_locale(user.id, chosen)
    record(uow, clock, user.id, "user.language_chosen", f"users/{user.id}", details={"locale": locale})
    return replace(user, locale=chosen)


class SignUpDisabled(Forbidden):
    code = "SignUpDisabled"
    message = N_("Sign-up is turned off here. Ask your provider to create your billing account.")

    def __init__(self) -> None:
        super().__init__()


class CompanyNameRequired(Invalid):
    code = "CompanyNameRequired"
    message = N_("Give the name of your company or organisation (at most {maximum} characters).")


class UnknownCountry(Invalid):
    code = "UnknownCountry"
    message = N_("'{country}' is not a country code (ISO 3166, two letters, such as NL or DK).")


_COMPANY_LENGTH = 160  # room for " billing profile" within a 200-character display name
_NOT_COUNTRIES = frozenset({"EU", "EZ", "QO", "UN", "ZZ"})  # regions Babel knows that no address is in


@dataclass(frozen=True)
class SignedUp:
    user: User
    account: BillingAccount
    profile: BillingProfile
    section: InvoiceSection


def sign_up(
    uow: UnitOfWork,
    clock: Clock,
    *,
    email: str,
    display_name: str,
    password: str,
    company: str,
    currency: str,
    country: str,
    enabled: bool,
    secret_key: str,
    locale: str,
    client_address: str | None = None,
) -> SignedUp | None:
    """A new customer: their user (unverified: a link to prove the address is e-mailed in `locale`), a
    Microsoft Customer Agreement billing account of which they are the billing account administrator
    (owner), its first billing profile and invoice section.

    For an address that has a user already, nothing is made and None returned: its owner is e-mailed
    instead (sign in, or reset the password), after the same password hashing work, so that neither the
    answer nor its timing tells a visitor whether an address has a user here."""
    if not enabled:
        raise SignUpDisabled()
    company, currency = _check_company(company), check_currency(currency)
    address = Address(company=company, country=_check_country(country))
    existing = uow.users.find_by_email(normalise_email(email))
    if existing is not None:
        # The same refusals and the same Argon2 work as for a new address (add_user does both there),
        # so neither the answer nor its time tells that the address has an account.
        check_password(password, related=(email, display_name, company))
        hash_password(password)
        _tell_the_owner(uow, clock, existing, locale, client_address)
        return None
    user = add_user(uow, clock, email=email, display_name=display_name, password=password, typed_beside=(company,))
    account = create_billing_account(uow, clock, display_name=company, administrator_id=user.id, sold_to=address)
    profile = add_billing_profile(
        uow,
        clock,
        billing_account_id=account.id,
        display_name=f"{company} billing profile",
        currency=currency,
        invoice_email=user.email,
        actor_id=user.id,
    )
    section = add_invoice_section(
        uow, clock, billing_profile_id=profile.id, display_name=f"{company} invoice section", actor_id=user.id
    )
    details = {"billing_account": account.id}
    record(uow, clock, user.id, "user.signed_up", f"users/{user.id}", client_address=client_address, details=details)
    send_verification(uow, clock, secret_key, user, locale, client_address)
    return SignedUp(user, account, profile, section)


def _tell_the_owner(uow: UnitOfWork, clock: Clock, owner: User, locale: str, client_address: str | None) -> None:
    """Someone signed up with the owner's address: one notice a day at most (the outbox keeps one
    message per kind, reference and address), in the owner's language, else the form's."""
    day = clock.now().date().isoformat()
    enqueue(
        uow, clock, MessageKind.SIGN_UP_ATTEMPTED, f"{owner.id}:{day}", [Recipient(owner.email, owner.locale or locale)]
    )
    record(
        uow, clock, None, "user.signed_up", f"users/{owner.id}", outcome="address_taken", client_address=client_address
    )


def _check_company(company: str) -> str:
    cleaned = redact_card_numbers(" ".join(company.split()))
    if not 1 <= len(cleaned) <= _COMPANY_LENGTH:
        raise CompanyNameRequired(maximum=_COMPANY_LENGTH)
    return cleaned


def _check_country(country: str) -> str:
    code = country.strip().upper()
    if len(code) != 2 or not code.isalpha() or code in _NOT_COUNTRIES or code not in Locale("en").territories:
        raise UnknownCountry(country=country)
    return code
