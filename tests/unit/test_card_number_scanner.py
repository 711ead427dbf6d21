"""The scanner that guards Settle's database and logs finds card numbers, and only card numbers."""

from __future__ import annotations

import pytest

from tests.card_numbers import card_numbers_in


@pytest.mark.parametrize(
    "text",
    [
        "token for 4242424242424242 saved",
        "card=4242 4242 4242 4242;",
        "4000-0025-0000-3155",
        "378282246310005",
        "3782 822463 10005",  # American Express grouping
        "tok_4242424242424242",  # a token that carries the number is a leak too
    ],
)
def test_a_card_number_in_text_is_found(text: str) -> None:
    assert len(card_numbers_in(text)) == 1


@pytest.mark.parametrize(
    "text",
    [
        "4242424242424241",  # fails Luhn
        "G000100023 2026-03-15 12:00:00",  # invoice numbers and timestamps
        "a1b4242424242424242c",  # digits inside a hexadecimal id
        "424242424242",  # too short
        "14084502-3918-4552-9f3a-0c2d8e1b7a66",  # a UUID whose digits pass Luhn when joined
        "2026-03-15 12:00:00.123456",  # a timestamp
    ],
)
def test_other_digits_are_not_taken_for_card_numbers(text: str) -> None:
    assert card_numbers_in(text) == []
