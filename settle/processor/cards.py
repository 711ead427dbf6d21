"""Card-number rules (Luhn, brand, expiry, CVC) and the public test cards. Pure: no I/O, no clock."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from settle.card_numbers import luhn_valid
from settle.errors import N_, Invalid


class InvalidCardNumber(Invalid):
    code = "InvalidCardNumber"
    message = N_("The card number is not valid.")


class InvalidExpiry(Invalid):
    code = "InvalidExpiry"
    message = N_("The expiry date is not valid.")


class CardExpiredAtTokenization(Invalid):
    code = "CardExpiredAtTokenization"
    message = N_("The card expired at the end of {month:02d}/{year}.")


class InvalidCvc(Invalid):
    code = "InvalidCvc"
    message = N_("The security code must have {length} digits.")


class Brand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    DINERS = "diners"
    JCB = "jcb"
    UNIONPAY = "unionpay"
    UNKNOWN = "unknown"


class Funding(StrEnum):
    CREDIT = "credit"
    DEBIT = "debit"
    PREPAID = "prepaid"
    UNKNOWN = "unknown"


class Behaviour(StrEnum):
    """What charging a card does. Declines carry the decline code they give."""

    SUCCEEDS = "succeeds"
    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    LOST_CARD = "lost_card"
    STOLEN_CARD = "stolen_card"
    PROCESSING_ERROR = "processing_error"
    REQUIRES_3DS = "requires_3ds"


@dataclass(frozen=True)
class CardProfile:
    behaviour: Behaviour
    funding: Funding = Funding.CREDIT


# The well-known public test numbers (5105 1051 0510 5100 is the prepaid one). Any other valid
# number succeeds as a credit card.
TEST_CARDS: dict[str, CardProfile] = {
    "4242424242424242": CardProfile(Behaviour.SUCCEEDS),
    "4000000000000002": CardProfile(Behaviour.CARD_DECLINED),
    "4000000000009995": CardProfile(Behaviour.INSUFFICIENT_FUNDS),
    "4000000000000069": CardProfile(Behaviour.EXPIRED_CARD),
    "4000000000009987": CardProfile(Behaviour.LOST_CARD),
    "4000000000009979": CardProfile(Behaviour.STOLEN_CARD),
    "4000002500003155": CardProfile(Behaviour.REQUIRES_3DS),
    "4000000000000119": CardProfile(Behaviour.PROCESSING_ERROR),
    "5555555555554444": CardProfile(Behaviour.SUCCEEDS),
    "4000056655665556": CardProfile(Behaviour.SUCCEEDS, Funding.DEBIT),
    "5200828282828210": CardProfile(Behaviour.SUCCEEDS, Funding.DEBIT),
    "5105105105105100": CardProfile(Behaviour.SUCCEEDS, Funding.PREPAID),
    "378282246310005": CardProfile(Behaviour.SUCCEEDS),
    "6011111111111117": CardProfile(Behaviour.SUCCEEDS),
}
_ANY_OTHER = CardProfile(Behaviour.SUCCEEDS)

# (brand, prefix ranges as inclusive (low, high) over the first len(low) digits, allowed lengths)
_BRANDS: list[tuple[Brand, list[tuple[str, str]], frozenset[int]]] = [
    (Brand.AMEX, [("34", "34"), ("37", "37")], frozenset({15})),
    (Brand.VISA, [("4", "4")], frozenset({13, 16, 19})),
    (Brand.MASTERCARD, [("51", "55"), ("2221", "2720")], frozenset({16})),
    (Brand.DISCOVER, [("6011", "6011"), ("644", "649"), ("65", "65")], frozenset(range(16, 20))),
    (Brand.DINERS, [("300", "305"), ("36", "36"), ("38", "39")], frozenset(range(14, 20))),
    (Brand.JCB, [("3528", "3589")], frozenset(range(16, 20))),
    (Brand.UNIONPAY, [("62", "62")], frozenset(range(16, 20))),
]
_SEPARATORS = re.compile(r"[ -]")


def brand_of(digits: str) -> Brand:
    """The card network a number belongs to, from its leading digits."""
    for brand, ranges, _lengths in _BRANDS:
        for low, high in ranges:
            if low <= digits[: len(low)] <= high:
                return brand
    return Brand.UNKNOWN


def normalize_number(number: str) -> str:
    """The digits of a card number as typed (spaces and hyphens allowed), checked; else InvalidCardNumber."""
    digits = _SEPARATORS.sub("", number)
    if not (digits.isascii() and digits.isdigit()) or not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        raise InvalidCardNumber()
    for brand, _ranges, lengths in _BRANDS:
        if brand_of(digits) == brand and len(digits) not in lengths:
            raise InvalidCardNumber()
    return digits


def check_expiry(month: int, year: int, today: date) -> None:
    """Cards are valid through the last day of their expiry month; two-digit years are refused."""
    if not 1 <= month <= 12 or not 2000 <= year <= today.year + 50:
        raise InvalidExpiry()
    if is_expired(month, year, today):
        raise CardExpiredAtTokenization(month=month, year=year)


def is_expired(month: int, year: int, today: date) -> bool:
    """Whether the end of the expiry month has passed."""
    return date(year, month, calendar.monthrange(year, month)[1]) < today


def cvc_length(brand: Brand) -> int:
    return 4 if brand is Brand.AMEX else 3


def check_cvc(cvc: str, brand: Brand) -> None:
    length = cvc_length(brand)
    if len(cvc) != length or not (cvc.isascii() and cvc.isdigit()):
        raise InvalidCvc(length=length)


def profile_of(digits: str) -> CardProfile:
    """How a (normalized) number behaves when charged."""
    return TEST_CARDS.get(digits, _ANY_OTHER)
