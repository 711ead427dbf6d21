"""The simulated processor on SQLite and PostgreSQL: test cards, exactly-once charges, faults, refunds, 3-D Secure."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from settle import db, schema
from settle.clock import FixedClock
from settle.errors import MixedCurrencies
from settle.money import Money
from settle.processor import cards, store
from settle.processor.errors import (
    AmountNotPositive,
    ChargeNotRefundable,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    RefundExceedsRemaining,
    UnknownCharge,
    UnknownToken,
)
from settle.processor.faults import Fault, Faults
from settle.processor.interface import Charge, ChargeStatus, ProcessorUnavailable
from settle.processor.simulated import SimulatedProcessor
from tests.card_numbers import card_numbers_in

EUR_100 = Money(10000, "EUR")
CHALLENGES = "http://127.0.0.1:8000/processor/challenge/"


def _token(processor: SimulatedProcessor, number: str = "4242 4242 4242 4242", holder: str = "Jane Doe") -> str:
    return processor.tokenize(number, 12, 2030, "1234" if number.startswith("37") else "123", holder).token


def test_tokenizing_keeps_only_what_may_be_shown(processor: SimulatedProcessor) -> None:
    token = processor.tokenize("4000 0566 5566 5556", 4, 2027, "123", " Jane Doe ")
    assert re.fullmatch(r"tok_[0-9a-f]{24}", token.token)
    assert (token.brand, token.last4, token.expiry_month, token.expiry_year) == ("visa", "5556", 4, 2027)
    assert (token.holder, token.funding) == ("Jane Doe", "debit")
    assert processor.find_token(token.token) == token


def test_tokenizing_refuses_a_card_that_has_already_expired(processor: SimulatedProcessor) -> None:
    with pytest.raises(cards.CardExpiredAtTokenization):
        processor.tokenize("4242424242424242", 2, 2026, "123", "Jane Doe")  # the clock says 2026-03-15


def test_tokenizing_refuses_a_wrong_security_code(processor: SimulatedProcessor) -> None:
    with pytest.raises(cards.InvalidCvc):
        processor.tokenize("378282246310005", 12, 2030, "123", "Jane Doe")


@pytest.mark.parametrize(
    ("number", "status", "decline_code"),
    [
        ("4242424242424242", ChargeStatus.SUCCEEDED, None),
        ("5555555555554444", ChargeStatus.SUCCEEDED, None),
        ("378282246310005", ChargeStatus.SUCCEEDED, None),
        ("4000000000000002", ChargeStatus.DECLINED, "card_declined"),
        ("4000000000009995", ChargeStatus.DECLINED, "insufficient_funds"),
        ("4000000000000069", ChargeStatus.DECLINED, "expired_card"),
        ("4000000000000119", ChargeStatus.DECLINED, "processing_error"),
        ("4000002500003155", ChargeStatus.REQUIRES_ACTION, None),
    ],
)
def test_each_test_card_charges_as_documented(
    processor: SimulatedProcessor, number: str, status: ChargeStatus, decline_code: str | None
) -> None:
    charge = processor.charge(_token(processor, number), EUR_100, "key-1", "INV-1")
    assert (charge.status, charge.decline_code, charge.amount) == (status, decline_code, EUR_100)
    assert processor.find_charge("key-1") == charge


def test_a_declined_charge_is_in_the_ledger_but_takes_no_money(processor: SimulatedProcessor) -> None:
    processor.charge(_token(processor, "4000000000000002"), EUR_100, "key-1", "INV-1")
    assert [charge.status for charge in processor.charges()] == [ChargeStatus.DECLINED]
    assert processor.total_charged("EUR") == Money.zero("EUR")


def test_a_card_that_expired_after_tokenizing_is_declined_as_expired(
    processor: SimulatedProcessor, clock: FixedClock
) -> None:
    token = processor.tokenize("4242424242424242", 3, 2026, "123", "Jane Doe")
    clock.advance(timedelta(days=17))
    assert processor.charge(token.token, EUR_100, "key-1", "INV-1").decline_code == "expired_card"


def test_charging_an_unknown_token_is_refused_and_records_nothing(processor: SimulatedProcessor) -> None:
    with pytest.raises(UnknownToken):
        processor.charge("tok_" + "0" * 24, EUR_100, "key-1", "INV-1")
    assert processor.find_charge("key-1") is None


def test_the_same_key_twice_returns_the_first_charge_and_charges_once(processor: SimulatedProcessor) -> None:
    token = _token(processor)
    first = processor.charge(token, EUR_100, "key-1", "INV-1")
    again = processor.charge(token, EUR_100, "key-1", "INV-1")
    assert again == first
    assert processor.count_charges(description="INV-1") == 1
    assert processor.total_charged("EUR") == EUR_100


def test_a_charge_needs_a_positive_amount_and_a_key(processor: SimulatedProcessor) -> None:
    token = _token(processor)
    with pytest.raises(AmountNotPositive):
        processor.charge(token, Money.zero("EUR"), "key-1", "INV-1")
    with pytest.raises(InvalidIdempotencyKey):
        processor.charge(token, EUR_100, "", "INV-1")
    with pytest.raises(InvalidIdempotencyKey):
        processor.charge(token, EUR_100, "k" * 256, "INV-1")
    assert processor.charges() == []


def test_the_same_key_for_a_different_amount_is_refused(processor: SimulatedProcessor) -> None:
    token = _token(processor)
    processor.charge(token, EUR_100, "key-1", "INV-1")
    with pytest.raises(IdempotencyKeyReused):
        processor.charge(token, Money(1, "EUR"), "key-1", "INV-1")


def test_fifty_threads_with_the_same_key_make_one_charge(processor: SimulatedProcessor) -> None:
    token = _token(processor)
    start = threading.Barrier(50)
    results: list[Charge] = []
    errors: list[Exception] = []

    def pay() -> None:
        start.wait()
        try:
            results.append(processor.charge(token, EUR_100, "key-1", "INV-1"))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=pay) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(results) == 50 and len(set(results)) == 1
    assert processor.count_charges() == 1
    assert processor.total_charged("EUR") == EUR_100


def test_a_lost_response_raises_but_the_charge_is_made_and_found(processor: SimulatedProcessor) -> None:
    token = _token(processor)
    processor.faults = Faults.scripted(Fault.LOST_RESPONSE)
    with pytest.raises(ProcessorUnavailable):
        processor.charge(token, EUR_100, "key-1", "INV-1")
    found = processor.find_charge("key-1")
    assert found is not None and found.status is ChargeStatus.SUCCEEDED
    assert processor.charge(token, EUR_100, "key-1", "INV-1") == found
    assert processor.count_charges() == 1


@pytest.mark.parametrize("fault", [Fault.TIMEOUT_BEFORE, Fault.ERROR_5XX])
def test_a_failure_before_charging_leaves_nothing_to_find(processor: SimulatedProcessor, fault: Fault) -> None:
    token = _token(processor)
    processor.faults = Faults.scripted(fault)
    with pytest.raises(ProcessorUnavailable):
        processor.charge(token, EUR_100, "key-1", "INV-1")
    assert processor.find_charge("key-1") is None
    assert processor.charge(token, EUR_100, "key-1", "INV-1").status is ChargeStatus.SUCCEEDED


def test_a_slow_answer_still_charges_once(processor: SimulatedProcessor) -> None:
    processor.faults = Faults.scripted(Fault.SLOW, slow_seconds=0.05)
    assert processor.charge(_token(processor), EUR_100, "key-1", "INV-1").status is ChargeStatus.SUCCEEDED


def test_retrying_through_random_faults_charges_each_key_exactly_once(processor: SimulatedProcessor) -> None:
    token = _token(processor)
    processor.faults = Faults(timeout_before=0.2, error_5xx=0.2, lost_response=0.2, seed=7)
    for invoice in range(10):
        while True:
            try:
                processor.charge(token, EUR_100, f"key-{invoice}", f"INV-{invoice}")
                break
            except ProcessorUnavailable:
                continue
    assert [processor.count_charges(description=f"INV-{invoice}") for invoice in range(10)] == [1] * 10
    assert processor.total_charged("EUR") == Money(10 * EUR_100.minor, "EUR")


def test_a_partial_refund_and_then_the_rest(processor: SimulatedProcessor) -> None:
    charge = processor.charge(_token(processor), EUR_100, "key-1", "INV-1")
    first = processor.refund(charge.reference, Money(2500, "EUR"), "refund-1")
    assert (first.charge_reference, first.amount) == (charge.reference, Money(2500, "EUR"))
    processor.refund(charge.reference, Money(7500, "EUR"), "refund-2")
    assert processor.total_charged("EUR") == Money.zero("EUR")
    assert len(processor.refunds(charge.reference)) == 2


def test_a_refund_beyond_what_remains_is_refused(processor: SimulatedProcessor) -> None:
    charge = processor.charge(_token(processor), EUR_100, "key-1", "INV-1")
    processor.refund(charge.reference, Money(6000, "EUR"), "refund-1")
    with pytest.raises(RefundExceedsRemaining) as raised:
        processor.refund(charge.reference, Money(4001, "EUR"), "refund-2")
    assert "40.00 EUR" in str(raised.value)


def test_the_same_refund_key_twice_refunds_once(processor: SimulatedProcessor) -> None:
    charge = processor.charge(_token(processor), EUR_100, "key-1", "INV-1")
    first = processor.refund(charge.reference, Money(6000, "EUR"), "refund-1")
    assert processor.refund(charge.reference, Money(6000, "EUR"), "refund-1") == first
    assert processor.total_charged("EUR") == Money(4000, "EUR")


def test_a_refund_whose_answer_was_lost_is_not_made_twice(processor: SimulatedProcessor) -> None:
    charge = processor.charge(_token(processor), EUR_100, "key-1", "INV-1")
    processor.faults = Faults.scripted(Fault.LOST_RESPONSE)
    with pytest.raises(ProcessorUnavailable):
        processor.refund(charge.reference, EUR_100, "refund-1")
    processor.refund(charge.reference, EUR_100, "refund-1")
    assert processor.total_charged("EUR") == Money.zero("EUR")


def test_only_succeeded_charges_in_their_own_currency_can_be_refunded(processor: SimulatedProcessor) -> None:
    declined = processor.charge(_token(processor, "4000000000000002"), EUR_100, "key-1", "INV-1")
    with pytest.raises(ChargeNotRefundable):
        processor.refund(declined.reference, EUR_100, "refund-1")
    succeeded = processor.charge(_token(processor), EUR_100, "key-2", "INV-2")
    with pytest.raises(MixedCurrencies):
        processor.refund(succeeded.reference, Money(100, "USD"), "refund-2")
    with pytest.raises(UnknownCharge):
        processor.refund("ch_unknown", EUR_100, "refund-3")
    assert processor.refunds() == []


def test_a_3ds_card_needs_a_challenge_that_completes_the_charge(processor: SimulatedProcessor) -> None:
    charge = processor.charge(_token(processor, "4000002500003155"), EUR_100, "key-1", "INV-1")
    assert charge.challenge_url is not None and charge.challenge_url.startswith(CHALLENGES)
    assert charge.reference not in charge.challenge_url  # receipts print the reference: it opens nothing
    assert processor.find_charge_by_challenge(charge.challenge_url.removeprefix(CHALLENGES)) == charge
    assert processor.total_charged("EUR") == Money.zero("EUR")
    completed = processor.complete_challenge(charge.reference, approve=True)
    assert (completed.status, completed.challenge_url) == (ChargeStatus.SUCCEEDED, None)
    assert processor.complete_challenge(charge.reference, approve=False) == completed
    assert processor.find_charge("key-1") == completed
    assert processor.total_charged("EUR") == EUR_100


def test_a_failed_3ds_challenge_declines_the_charge(processor: SimulatedProcessor) -> None:
    charge = processor.charge(_token(processor, "4000002500003155"), EUR_100, "key-1", "INV-1")
    failed = processor.complete_challenge(charge.reference, approve=False)
    assert (failed.status, failed.decline_code) == (ChargeStatus.DECLINED, "authentication_failed")
    assert processor.complete_challenge(charge.reference, approve=True) == failed
    with pytest.raises(UnknownCharge):
        processor.complete_challenge("ch_unknown", approve=True)


def test_the_processor_database_holds_no_card_number(processor: SimulatedProcessor, processor_url: str) -> None:
    for number in cards.TEST_CARDS:
        processor.tokenize(number, 12, 2030, "1234" if number.startswith("37") else "123", "Jane Doe")
    token = _token(processor, holder="Jane 4242 4242 4242 4242 Doe")
    processor.charge(token, EUR_100, "key-1", "paid with 4000-0566-5566-5556")
    engine = db.create_engine(processor_url)
    reflected = sa.MetaData()
    reflected.reflect(engine)
    with engine.connect() as connection:
        texts = [
            value
            for table in reflected.sorted_tables
            for row in connection.execute(sa.select(table))
            for value in row
            if isinstance(value, str)
        ]
    engine.dispose()
    assert len(texts) > 50
    assert [number for text in texts for number in card_numbers_in(text)] == []


@pytest.mark.usefixtures("processor")  # it makes its tables
def test_the_processor_keeps_its_tables_apart_from_settles(processor_url: str) -> None:
    engine = db.create_engine(processor_url)
    assert set(sa.inspect(engine).get_table_names()) == set(store.metadata.tables)
    engine.dispose()
    assert store.metadata is not schema.metadata
    assert not set(store.metadata.tables) & set(schema.metadata.tables)
