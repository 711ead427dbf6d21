"""Money: an integer count of minor units and an ISO 4217 currency. Floats never touch it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, DecimalException, Inexact, InvalidOperation, Overflow
from functools import cache
from typing import Any

from settle.errors import InvalidAmount, MixedCurrencies, UnknownCurrency

# ISO 4217 active codes (list one, 2024). The exponent is 2 unless listed in _EXPONENTS.
ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
    BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR
    FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES
    KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
    MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF
    SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)
_EXPONENTS = {
    **dict.fromkeys("BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(), 0),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}


# Amounts are stored as BIGINT: a larger one is an error, not an overflow somewhere later.
MAX_MINOR = 2**63 - 1
# More digits than any BIGINT amount has; an exponent beyond its range (1E+999999999, 1E-999999999)
# raises rather than overflowing or quietly becoming zero.
_EXACT = Context(prec=60, traps=[InvalidOperation, Overflow, Inexact])


def check_currency(code: str) -> str:
    """Return the code if it is an active ISO 4217 currency, else raise UnknownCurrency."""
    if code not in ISO_4217:
        raise UnknownCurrency(currency=code)
    return code


def exponent(currency: str) -> int:
    """Digits after the decimal point for the currency (JPY 0, EUR 2, KWD 3)."""
    return _EXPONENTS.get(check_currency(currency), 2)


@dataclass(frozen=True, order=False)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be an int, not {type(self.minor).__name__}")
        check_currency(self.currency)
        if not -MAX_MINOR <= self.minor <= MAX_MINOR:
            raise InvalidAmount(amount=str(self.minor), currency=self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str | int, currency: str) -> Money:
        """Exact conversion: refuses amounts with more digits than the currency has."""
        if isinstance(amount, float):
            raise TypeError("Money never comes from a float")
        try:
            value = Decimal(amount)
        except (InvalidOperation, ValueError):
            raise InvalidAmount(amount=str(amount), currency=currency) from None
        if not value.is_finite():
            raise InvalidAmount(amount=str(amount), currency=currency)
        try:
            scaled = value.scaleb(exponent(currency), _EXACT)
        except DecimalException:
            raise InvalidAmount(amount=str(amount), currency=currency) from None
        if scaled != scaled.to_integral_value() or abs(scaled) > MAX_MINOR:
            raise InvalidAmount(amount=str(amount), currency=currency)
        return cls(int(scaled), currency)

    def to_decimal(self) -> Decimal:
        """The exact amount in major units, with the currency's number of digits."""
        digits = exponent(self.currency)
        return Decimal(self.minor).scaleb(-digits, _EXACT)

    def is_zero(self) -> bool:
        return self.minor == 0

    def is_positive(self) -> bool:
        return self.minor > 0

    def is_negative(self) -> bool:
        return self.minor < 0

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MixedCurrencies(left=self.currency, right=other.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor < other.minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.minor <= other.minor

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.minor > other.minor

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.minor >= other.minor

    def times_rate(self, rate: Decimal) -> Money:
        """The amount times a rate (tax), rounded half-even to a whole minor unit, once."""
        if not isinstance(rate, Decimal):
            raise TypeError("rates are Decimals")
        product = (Decimal(self.minor) * rate).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return Money(int(product), self.currency)

    def __str__(self) -> str:
        return f"{self.to_decimal()} {self.currency}"


def total(amounts: list[Money], currency: str) -> Money:
    """Sum of amounts in one currency (zero for none)."""
    result = Money.zero(currency)
    for amount in amounts:
        result = result + amount
    return result


def format_money(money: Money, locale: str) -> str:
    """The amount as a person in `locale` reads it, e.g. `€ 1.234,56` in nl."""
    from babel.numbers import format_currency

    return format_currency(money.to_decimal(), money.currency, locale=babel_locale(locale))


@cache
def babel_locale(locale: str) -> Any:
    """Babel's Locale, parsed once: a grid formats hundreds of amounts and dates per page."""
    from babel import Locale

    return Locale.parse(locale)
