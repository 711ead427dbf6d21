"""Import records for the intake tests: a good JSON Lines record, and the profile it belongs to."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from settle.invoices.intake import BadRecord, ProfileFacts, RawInvoice, build_invoice, read_records
from tests.unit.factories import ACCOUNT_ID, NOW, PROFILE_ID, SECTION_ID

SALES_SECTION = "SALE-1234-AB5-CD6"
PROFILE = ProfileFacts(
    billing_account_id=ACCOUNT_ID,
    currency="EUR",
    payment_terms_days=30,
    section_ids=frozenset({SECTION_ID, SALES_SECTION}),
)


def record(**changes: Any) -> dict[str, Any]:
    """A good record (100.00 + 20.00 at 21% is 145.20); a change to None leaves the field out."""
    fields: dict[str, Any] = {
        "number": "G000000001",
        "billing_profile": PROFILE_ID,
        "invoice_date": "2026-01-05",
        "due_date": "2026-02-04",
        "period_start": "2025-12-01",
        "period_end": "2025-12-31",
        "currency": "EUR",
        "tax_rate": "0.21",
        "credits": "0.00",
        "total": "145.20",
        "lines": [
            {"section": SECTION_ID, "description": "Virtual machines", "quantity": "720", "amount": "100.00"},
            {"section": SALES_SECTION, "description": "Storage", "quantity": "1", "amount": "20.00"},
        ],
    }
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not None}


def with_line(**changes: Any) -> list[dict[str, Any]]:
    """The good record's lines with the first one changed."""
    first, second = record()["lines"]
    return [{**first, **changes}, second]


def read_jsonl(text: str) -> list[RawInvoice]:
    return list(read_records(io.StringIO(text), "jsonl"))


def read_csv(text: str) -> list[RawInvoice]:
    return list(read_records(io.StringIO(text, newline=""), "csv"))  # as `settle invoices import` opens files


def one(fields: dict[str, Any]) -> RawInvoice:
    """The record as a JSON Lines file would give it."""
    (raw,) = read_jsonl(json.dumps(fields) + "\n")
    return raw


def reason_for(raw: RawInvoice, profile: ProfileFacts = PROFILE) -> str:
    """Why the record cannot be imported (fails the test if it can)."""
    with pytest.raises(BadRecord) as caught:
        build_invoice(raw, profile, NOW)
    return str(caught.value)
