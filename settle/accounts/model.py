"""Users, billing accounts, billing profiles and invoice sections: who signs in and what is billed."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from zxcvbn import zxcvbn

from settle.errors import N_, Invalid, NotFound
from settle.money import check_currency

LOCALES = ("en", "nl", "da")
MIN_PASSWORD_LENGTH = 12
_MIN_GUESSABILITY_SCORE = 3
_GUESSABILITY_PREFIX = 64
# zxcvbn knows English; these are the Dutch and Danish words common passwords are made of, and this product's.
_GUESSABLE_WORDS = (
    "wachtwoord", "welkom", "geheim", "zomer", "winter", "voorjaar", "najaar", "hallo", "liefde", "schat",
    "adgangskode", "kodeord", "velkommen", "hemmelig", "sommer", "vinter", "forår", "efterår", "elsker", "kode",
    "settle", "billing", "factuur", "faktura", "betalen", "betaling", "azure", "admin", "beheer",
)  # fmt: skip
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AgreementType(StrEnum):
    MICROSOFT_CUSTOMER_AGREEMENT = "MicrosoftCustomerAgreement"
    ENTERPRISE_AGREEMENT = "EnterpriseAgreement"
    MICROSOFT_ONLINE_SERVICES_PROGRAM = "MicrosoftOnlineServicesProgram"


AGREEMENT_NAMES = {
    AgreementType.MICROSOFT_CUSTOMER_AGREEMENT: N_("Microsoft Customer Agreement"),
    AgreementType.ENTERPRISE_AGREEMENT: N_("Enterprise Agreement"),
    AgreementType.MICROSOFT_ONLINE_SERVICES_PROGRAM: N_("Microsoft Online Services Program"),
}


class AccountStatus(StrEnum):
    ACTIVE = "Active"
    DISABLED = "Disabled"


class UserNotFound(NotFound):
    code = "UserNotFound"
    message = N_("User '{id}' was not found.")


class BillingAccountNotFound(NotFound):
    code = "BillingAccountNotFound"
    message = N_("Billing account '{id}' was not found.")


class BillingProfileNotFound(NotFound):
    code = "BillingProfileNotFound"
    message = N_("Billing profile '{id}' was not found.")


class InvoiceSectionNotFound(NotFound):
    code = "InvoiceSectionNotFound"
    message = N_("Invoice section '{id}' was not found.")


class InvalidEmail(Invalid):
    code = "InvalidEmail"
    message = N_("'{email}' is not a valid e-mail address.")


class PasswordTooShort(Invalid):
    code = "PasswordTooShort"
    message = N_("The password must be at least {minimum} characters long.")


class PasswordTooGuessable(Invalid):
    code = "PasswordTooGuessable"
    message = N_(
        "This password is too easy to guess: it is a common password, a word or name with a few changes, "
        "or a pattern such as repeated characters or a sequence. Choose another, for example a few unrelated words."
    )

    def __init__(self) -> None:
        super().__init__()


class EmailTaken(Invalid):
    code = "EmailTaken"
    message = N_("A user with the e-mail address '{email}' already exists.")


class UnsupportedLocale(Invalid):
    code = "UnsupportedLocale"
    message = N_("'{locale}' is not a supported language (en, nl, da).")


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively and without surrounding blanks."""
    cleaned = email.strip().lower()
    if not _EMAIL.match(cleaned):
        raise InvalidEmail(email=email)
    return cleaned


def check_password(password: str, related: Iterable[str] = ()) -> None:
    """At least MIN_PASSWORD_LENGTH characters, and not guessable: zxcvbn estimates how many guesses
    an attacker with the common-password lists needs; under 10^8 (its scores 0 to 2, within reach of
    an offline attack on a slow hash) is refused. `related`: what the user typed beside it (e-mail,
    name, company), since a password made of those is the first thing an attacker tries."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordTooShort(minimum=MIN_PASSWORD_LENGTH)
    words = [*_GUESSABLE_WORDS, *(word for text in related for word in _words_of(text))]
    # zxcvbn's work grows with length; what makes a long password weak shows in its first characters.
    if zxcvbn(password[:_GUESSABILITY_PREFIX], user_inputs=words)["score"] < _MIN_GUESSABILITY_SCORE:
        raise PasswordTooGuessable()


def _words_of(text: str) -> list[str]:
    """What an attacker makes of a name or an address: the whole, its parts, and its parts run together."""
    parts = [part for part in re.split(r"[\W_]+", text.lower()) if part]
    return [text.lower(), *parts, "".join(parts)]


def check_locale(locale: str | None) -> str | None:
    if locale is not None and locale not in LOCALES:
        raise UnsupportedLocale(locale=locale)
    return locale


@dataclass(frozen=True)
class User:
    id: str
    email: str
    display_name: str
    password_hash: str
    created_at: datetime
    locale: str | None = None  # None: the browser's language decides
    disabled: bool = False
    # When the user proved the address by opening the link e-mailed to it; None: not (yet). A user
    # created by an operator is verified from the start; one who signed up must prove it.
    email_verified_at: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.email_verified_at is not None


@dataclass(frozen=True)
class Address:
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    postal_code: str = ""
    region: str = ""
    country: str = ""  # ISO 3166 alpha-2

    def lines(self) -> list[str]:
        """The address as printed on an invoice, empty parts left out."""
        city = " ".join(part for part in (self.postal_code, self.city) if part)
        parts = [self.company, self.line1, self.line2, city, self.region, self.country]
        return [part for part in parts if part]


@dataclass(frozen=True)
class BillingAccount:
    id: str
    display_name: str
    agreement_type: AgreementType
    created_at: datetime
    status: AccountStatus = AccountStatus.ACTIVE
    sold_to: Address = field(default_factory=Address)

    @property
    def pays_in_portal(self) -> bool:
        """Only Microsoft Customer Agreement accounts pay with Pay now (the reference rule)."""
        return self.agreement_type is AgreementType.MICROSOFT_CUSTOMER_AGREEMENT


@dataclass(frozen=True)
class BillingProfile:
    id: str
    billing_account_id: str
    display_name: str
    currency: str
    created_at: datetime
    bill_to: Address = field(default_factory=Address)
    invoice_email: str = ""
    invoice_language: str = "en"
    payment_terms_days: int = 30
    default_payment_method_id: str | None = None
    # Automatic payment: the day it was turned on (invoices falling due from then on are charged to
    # the default card on their due date); None: off, the customer pays with Pay now or by transfer.
    autopay_since: date | None = None

    @property
    def autopay(self) -> bool:
        return self.autopay_since is not None

    def __post_init__(self) -> None:
        check_currency(self.currency)
        check_locale(self.invoice_language)
        if not 0 <= self.payment_terms_days <= 365:
            raise Invalid(reason=f"payment terms of {self.payment_terms_days} days are out of range")


@dataclass(frozen=True)
class InvoiceSection:
    id: str
    billing_profile_id: str
    display_name: str
    created_at: datetime
