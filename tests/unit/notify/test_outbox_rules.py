"""The outbox's rules: retries with exponential back-off, giving up, one Message-ID per message."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from settle.notify.model import (
    LONGEST_WAIT,
    MAX_ATTEMPTS,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    Recipient,
    recipients,
    retry_delay,
)

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def message() -> OutboxMessage:
    return OutboxMessage.new(MessageKind.INVOICE_ISSUED, "G000000001", "ap@contoso.example", "nl", NOW)


def test_each_wait_is_twice_the_one_before_up_to_six_hours() -> None:
    waits = [retry_delay(attempts) for attempts in range(1, 14)]
    assert waits[:4] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert max(waits) == LONGEST_WAIT == waits[-1]
    assert all(later >= earlier for earlier, later in pairwise(waits))


def test_a_failed_attempt_is_tried_again_later_with_the_error_kept() -> None:
    failed = message().failed(NOW, "SMTPServerDisconnected: gone")
    assert failed.status is OutboxStatus.PENDING
    assert (failed.attempts, failed.next_attempt_at) == (1, NOW + timedelta(minutes=1))
    assert failed.last_error == "SMTPServerDisconnected: gone"
    again = failed.failed(NOW + timedelta(minutes=1), "still gone")
    assert (again.attempts, again.next_attempt_at) == (2, NOW + timedelta(minutes=3))


def test_after_the_last_attempt_the_message_is_given_up() -> None:
    current = message()
    for _ in range(MAX_ATTEMPTS):
        current = current.failed(NOW, "down")
    assert current.status is OutboxStatus.FAILED and current.attempts == MAX_ATTEMPTS


def test_a_permanent_refusal_is_given_up_at_once() -> None:
    assert message().failed(NOW, "550 no such user", permanent=True).status is OutboxStatus.FAILED


def test_a_sent_message_counts_its_attempt_and_forgets_its_claim() -> None:
    claimed = replace(message(), claimed_until=NOW + timedelta(minutes=5))
    sent = claimed.sent(NOW)
    assert (sent.status, sent.attempts, sent.sent_at, sent.claimed_until) == (OutboxStatus.SENT, 1, NOW, None)


def test_the_message_id_is_the_same_for_every_attempt_and_differs_between_messages() -> None:
    first = message()
    assert first.message_id("settle.example") == first.failed(NOW, "x").message_id("settle.example")
    assert first.message_id("settle.example") != message().message_id("settle.example")
    assert first.message_id("settle.example").startswith("<") and first.message_id("settle.example").endswith(">")


def test_errors_are_cut_to_what_the_column_holds() -> None:
    assert len(message().failed(NOW, "x" * 2000).last_error or "") == 500


def test_each_address_gets_one_message_in_the_first_ones_language() -> None:
    chosen = recipients(
        Recipient("Soren@Contoso.example", "da"), None, Recipient("soren@contoso.example", "nl"), Recipient("", "en")
    )
    assert chosen == [Recipient("Soren@Contoso.example", "da")]
