"""Card numbers where they must never be kept: in text people type (a support request, a token's
name, a card holder's name). Pure: no I/O.

Anything that reads as a valid card number is replaced before the text is stored, erring on the side
of removing: a run of 13 or more digits, possibly split by single spaces or hyphens, any 13 to 19 digit
stretch of which passes the Luhn check."""

from __future__ import annotations

import re

CARD_NUMBER_REMOVED = "[card number removed]"
_SEPARATORS = re.compile(r"[ -]")
_DIGIT_RUN = re.compile(r"[0-9](?:[ -]?[0-9]){12,}")


def luhn_valid(digits: str) -> bool:
    """The mod-10 check digit rule every card number obeys."""
    if not digits.isdigit() or not digits.isascii():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def redact_card_numbers(text: str) -> str:
    """The text with anything that reads as a valid card number replaced, so none is ever stored."""

    def replace(match: re.Match[str]) -> str:
        return CARD_NUMBER_REMOVED if _holds_card_number(_SEPARATORS.sub("", match.group())) else match.group()

    return _DIGIT_RUN.sub(replace, text)


def _holds_card_number(digits: str) -> bool:
    """Whether any 13-19 digit stretch of the run passes Luhn (erring on the side of removing)."""
    return any(
        luhn_valid(digits[start : start + length])
        for length in range(13, 20)
        for start in range(len(digits) - length + 1)
    )
