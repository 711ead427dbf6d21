"""What goes on a document: how to pay, when it was paid, lines by section."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from settle.accounts.model import AgreementType
from settle.documents.model import Instructions, build_receipt_document, instructions_for, paid_on, section_blocks
from settle.money import Money
from settle.payments.model import PaymentStatus
from tests.unit.documents.samples import OTHER_SECTION, SECTIONS, account, profile
from tests.unit.factories import NOW, SECTION_ID, bank_transfer, card, invoice, line, payment


def test_an_account_that_pays_with_pay_now_and_has_a_card_is_asked_to_pay_in_the_portal() -> None:
    assert instructions_for(invoice(), account(), card()) is Instructions.PAY_IN_PORTAL


@pytest.mark.parametrize("method", [None, bank_transfer()])
def test_without_a_card_on_file_the_invoice_asks_for_a_bank_transfer(method: object) -> None:
    assert instructions_for(invoice(), account(), method) is Instructions.BANK_TRANSFER  # type: ignore[arg-type]


def test_an_enterprise_agreement_pays_by_bank_transfer_even_with_a_card() -> None:
    enterprise = account(AgreementType.ENTERPRISE_AGREEMENT)
    assert instructions_for(invoice(), enterprise, card()) is Instructions.BANK_TRANSFER


def test_a_paid_or_void_invoice_asks_for_nothing() -> None:
    issued = invoice()
    assert instructions_for(issued.with_payment(issued.amount_due), account(), card()) is Instructions.NOTHING_DUE
    assert instructions_for(issued.voided(NOW), account(), card()) is Instructions.NOTHING_DUE


def test_paid_on_is_the_day_of_the_last_succeeded_payment_once_nothing_is_due() -> None:
    issued = invoice("100.00")
    first = payment(status=PaymentStatus.SUCCEEDED, completed_at=datetime(2026, 1, 20, 23, 30, tzinfo=UTC))
    second = payment(status=PaymentStatus.SUCCEEDED, completed_at=datetime(2026, 1, 22, 9, 0, tzinfo=UTC))
    declined = payment(status=PaymentStatus.FAILED, completed_at=datetime(2026, 1, 25, 9, 0, tzinfo=UTC))
    paid = issued.with_payment(issued.amount_due)
    assert paid_on(paid, [first, second, declined]) == date(2026, 1, 22)
    assert paid_on(issued, [first]) is None
    assert paid_on(paid, [first], tz="Europe/Copenhagen") == date(2026, 1, 21)  # 23:30 UTC is past midnight there


def test_lines_are_grouped_by_section_in_order_of_first_appearance_with_their_subtotals() -> None:
    issued = invoice(lines=[line("10.00", section=OTHER_SECTION), line("1.00"), line("2.50", section=OTHER_SECTION)])
    blocks = section_blocks(issued, SECTIONS)
    assert [block.name for block in blocks] == ["Søndre afdeling", "Engineering"]
    assert [block.subtotal for block in blocks] == [Money(1250, "EUR"), Money(100, "EUR")]


def test_a_section_without_a_name_shows_its_id() -> None:
    assert section_blocks(invoice(), {})[0].name == SECTION_ID


def test_only_a_succeeded_payment_has_a_receipt() -> None:
    with pytest.raises(ValueError, match="no receipt"):
        build_receipt_document(payment(), profile(), None, None)


def test_a_receipt_is_in_the_billing_profiles_invoice_language() -> None:
    succeeded = payment(status=PaymentStatus.SUCCEEDED, receipt_number="G000000001-R1", completed_at=NOW)
    assert build_receipt_document(succeeded, replace(profile("da"), currency="EUR"), None, None).locale == "da"
