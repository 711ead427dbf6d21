"""The API's JSON writes money as number literals with exactly the Decimal's digits, and no text can pass for
one of its marks."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from settle.web.api import schemas
from settle.web.api.exact_json import exact_number_marker
from settle.web.api.serialise import encode


def test_decimals_are_written_as_number_literals_with_their_digits() -> None:
    text = encode([schemas.Amount(currency="EUR", value=Decimal("0.10")), schemas.Amount(currency="JPY", value=-5)])

    assert text == '[{"currency":"EUR","value":0.10},{"currency":"JPY","value":-5}]'
    assert json.loads(text, parse_float=Decimal)[0]["value"] == Decimal("0.10")


def test_text_that_looks_like_a_mark_stays_text() -> None:
    sneaky = '\ue000"12"\ue000 >\ue000"'
    address = schemas.Address(address_line1=sneaky, country="NL")

    assert json.loads(encode(address))["addressLine1"] == sneaky


def test_a_number_json_cannot_carry_is_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        schemas.Amount(currency="EUR", value=Decimal("NaN"))
    with pytest.raises(ValueError, match="not a number JSON can carry"):
        exact_number_marker(Decimal("Infinity"))
