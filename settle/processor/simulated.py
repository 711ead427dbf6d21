"""`simulated`: a built-in card processor that behaves like a real one (DESIGN §5).

It keeps its own ledger in its own database (a URL: a SQLite file or a PostgreSQL database), charges
each idempotency key at most once even under concurrency, answers with the public test cards'
behaviours, and can be told to fail (`Faults`) so tests can show Settle pays exactly once (§4)."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from settle import db
from settle.card_numbers import redact_card_numbers
from settle.clock import Clock
from settle.errors import MixedCurrencies
from settle.money import Money
from settle.processor import cards, store
from settle.processor.errors import (
    AmountNotPositive,
    ChargeNotRefundable,
    IdempotencyKeyReused,
    InvalidIdempotencyKey,
    RefundExceedsRemaining,
    TokenAlreadyAttached,
    TokenExpired,
    UnknownCharge,
    UnknownToken,
)
from settle.processor.faults import Fault, Faults
from settle.processor.interface import CardToken, Charge, ChargeStatus, ProcessorUnavailable, Refund

log = logging.getLogger("settle.processor")


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)


def _new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(24)


def _to_token(row: sa.Row[Any]) -> CardToken:
    return CardToken(**{name: getattr(row, name) for name in CardToken.__dataclass_fields__})


def _check_request(amount: Money, idempotency_key: str) -> None:
    if not 1 <= len(idempotency_key) <= 255:
        raise InvalidIdempotencyKey()
    if not amount.is_positive():
        raise AmountNotPositive(amount=str(amount))


class SimulatedProcessor:
    """The `simulated` processor. Thread-safe: one engine, each call its own short transaction."""

    def __init__(
        self,
        url: str,
        clock: Clock,
        challenge_base_url: str = "http://127.0.0.1:8000/processor",
        faults: Faults | None = None,
        challenge_timeout: timedelta = timedelta(minutes=15),
        token_lifetime: timedelta = timedelta(minutes=30),
    ) -> None:
        self._engine = db.create_engine(url)
        self._clock = clock
        self._challenge_base_url = challenge_base_url.rstrip("/")
        self.faults = faults
        self.challenge_timeout = challenge_timeout
        self.token_lifetime = token_lifetime
        with self._engine.begin() as connection:
            if db.is_postgres(connection):  # several workers start at once: one creates the tables
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('settle.processor.tables'))")
            store.create_tables(connection)

    def close(self) -> None:
        self._engine.dispose()

    def tokenize(self, number: str, expiry_month: int, expiry_year: int, cvc: str, holder: str) -> CardToken:
        """Check a card and give back a token for it; only brand, last 4, expiry and holder are kept."""
        digits = cards.normalize_number(number)
        brand = cards.brand_of(digits)
        cards.check_expiry(expiry_month, expiry_year, self._clock.now().date())
        cards.check_cvc(cvc, brand)
        profile = cards.profile_of(digits)
        token = CardToken(
            token=_new_id("tok_"),
            brand=brand.value,
            last4=digits[-4:],
            expiry_month=expiry_month,
            expiry_year=expiry_year,
            holder=redact_card_numbers(holder.strip())[:200],
            funding=profile.funding.value,
        )
        with self._write() as connection:
            store.insert_token(
                connection, **asdict(token), behaviour=profile.behaviour.value, created_at=self._clock.now()
            )
        return token

    def find_token(self, token: str) -> CardToken | None:
        with self._read() as connection:
            row = store.token_row(connection, token)
        if row is None:
            return None
        return _to_token(row)

    def attach_token(self, token: str, owner: str) -> CardToken:
        """Give a fresh token to one owner, once: a token another browser made, one already saved, or
        one older than `token_lifetime` is refused, so a token is worth nothing to whoever finds it."""
        with self._write() as connection:
            row = store.token_row(connection, token)
            if row is None:
                raise UnknownToken(token=token)
            if row.attached_at is not None:
                raise TokenAlreadyAttached(token=token)
            if row.created_at + self.token_lifetime < self._clock.now():
                raise TokenExpired(token=token)
            if not store.attach_token(connection, token, owner, self._clock.now()):
                raise TokenAlreadyAttached(token=token)  # a concurrent attach won
        return _to_token(row)

    def charge(self, token: str, amount: Money, idempotency_key: str, description: str) -> Charge:
        """Charge the card once per idempotency key: the same key again returns the first charge."""
        fault = self._suffer_before()
        charge = self._charge_once(token, amount, idempotency_key, description)
        if fault is Fault.LOST_RESPONSE:
            raise ProcessorUnavailable()
        return charge

    def _charge_once(self, token: str, amount: Money, idempotency_key: str, description: str) -> Charge:
        _check_request(amount, idempotency_key)
        try:
            with self._write() as connection:
                existing = store.charge_by_key(connection, idempotency_key)
                if existing is None:
                    card = store.token_row(connection, token)
                    if card is None:
                        raise UnknownToken(token=token)
                    existing = store.insert_charge(
                        connection, **self._new_charge(card, amount, idempotency_key, description)
                    )
        except IntegrityError:
            # A concurrent call with the same key committed first: its charge is the charge.
            with self._read() as connection:
                existing = store.charge_by_key(connection, idempotency_key)
            if existing is None:
                raise
        assert existing is not None
        if existing.token != token or Money(existing.amount_minor, existing.currency) != amount:
            raise IdempotencyKeyReused(key=idempotency_key)
        return self._to_charge(existing)

    def _new_charge(self, card: sa.Row[Any], amount: Money, idempotency_key: str, description: str) -> dict[str, Any]:
        now = self._clock.now()
        behaviour = cards.Behaviour(card.behaviour)
        if cards.is_expired(card.expiry_month, card.expiry_year, now.date()):
            status, decline_code = ChargeStatus.DECLINED, cards.Behaviour.EXPIRED_CARD.value
        elif behaviour is cards.Behaviour.SUCCEEDS:
            status, decline_code = ChargeStatus.SUCCEEDED, None
        elif behaviour is cards.Behaviour.REQUIRES_3DS:
            status, decline_code = ChargeStatus.REQUIRES_ACTION, None
        else:
            status, decline_code = ChargeStatus.DECLINED, behaviour.value
        return {
            "reference": _new_id("ch_"),
            "idempotency_key": idempotency_key,
            "token": card.token,
            "amount_minor": amount.minor,
            "currency": amount.currency,
            "description": redact_card_numbers(description)[:500],
            "status": status.value,
            "decline_code": decline_code,
            "created_at": now,
            "completed_at": None if status is ChargeStatus.REQUIRES_ACTION else now,
            "challenge_id": _new_secret("chl_") if status is ChargeStatus.REQUIRES_ACTION else None,
        }

    def complete_challenge(self, reference: str, approve: bool) -> Charge:
        """The card holder passed (or failed) 3-D Secure. Completing again changes nothing."""
        status = ChargeStatus.SUCCEEDED if approve else ChargeStatus.DECLINED
        decline_code = None if approve else "authentication_failed"
        with self._write() as connection:
            if store.charge_by_reference(connection, reference, lock=True) is None:
                raise UnknownCharge(reference=reference)
            store.finish_challenge(connection, reference, status, decline_code, self._clock.now())
            row = store.charge_by_reference(connection, reference)
        assert row is not None
        return self._to_charge(row)

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The charge made with this key, or None if there was none (then none will appear)."""
        with self._read() as connection:
            row = store.charge_by_key(connection, idempotency_key)
        return None if row is None else self._expire_if_abandoned(self._to_charge(row))

    def find_charge_by_reference(self, reference: str) -> Charge | None:
        with self._read() as connection:
            row = store.charge_by_reference(connection, reference)
        return None if row is None else self._expire_if_abandoned(self._to_charge(row))

    def find_charge_by_challenge(self, challenge_id: str) -> Charge | None:
        """The charge whose 3-D Secure link carries this secret (the reference alone opens nothing)."""
        with self._read() as connection:
            row = store.charge_by_challenge(connection, challenge_id)
        return None if row is None else self._expire_if_abandoned(self._to_charge(row))

    def _expire_if_abandoned(self, charge: Charge) -> Charge:
        """A 3-D Secure challenge nobody answered in time fails, as a bank's does, so the payment
        waiting on it can end (and the invoice be paid another way)."""
        if charge.status is not ChargeStatus.REQUIRES_ACTION:
            return charge
        with self._read() as connection:
            row = store.charge_by_reference(connection, charge.reference)
        assert row is not None
        if row.created_at + self.challenge_timeout > self._clock.now():
            return charge
        return self.complete_challenge(charge.reference, approve=False)

    def refund(self, charge_reference: str, amount: Money, idempotency_key: str) -> Refund:
        """Give back part or all of a succeeded charge, once per idempotency key."""
        fault = self._suffer_before()
        refund = self._refund_once(charge_reference, amount, idempotency_key)
        if fault is Fault.LOST_RESPONSE:
            raise ProcessorUnavailable()
        return refund

    def _refund_once(self, charge_reference: str, amount: Money, idempotency_key: str) -> Refund:
        _check_request(amount, idempotency_key)
        try:
            with self._write() as connection:
                existing = store.refund_by_key(connection, idempotency_key)
                if existing is None:
                    self._check_refundable(connection, charge_reference, amount)
                    store.insert_refund(
                        connection,
                        reference=_new_id("re_"),
                        idempotency_key=idempotency_key,
                        charge_reference=charge_reference,
                        amount_minor=amount.minor,
                        currency=amount.currency,
                        created_at=self._clock.now(),
                    )
                    existing = store.refund_by_key(connection, idempotency_key)
        except IntegrityError:
            with self._read() as connection:
                existing = store.refund_by_key(connection, idempotency_key)
            if existing is None:
                raise
        assert existing is not None
        refund = _to_refund(existing)
        if refund.charge_reference != charge_reference or refund.amount != amount:
            raise IdempotencyKeyReused(key=idempotency_key)
        return refund

    def _check_refundable(self, connection: sa.Connection, charge_reference: str, amount: Money) -> None:
        charge = store.charge_by_reference(connection, charge_reference, lock=True)
        if charge is None:
            raise UnknownCharge(reference=charge_reference)
        if charge.status != ChargeStatus.SUCCEEDED:
            raise ChargeNotRefundable(reference=charge_reference, status=charge.status)
        if charge.currency != amount.currency:
            raise MixedCurrencies(left=charge.currency, right=amount.currency)
        remaining = Money(charge.amount_minor - store.refunded_minor(connection, charge_reference), charge.currency)
        if amount > remaining:
            raise RefundExceedsRemaining(remaining=str(remaining), reference=charge_reference)

    def charges(self, status: ChargeStatus | None = None) -> list[Charge]:
        """The ledger, oldest first (for tests and the demo)."""
        with self._read() as connection:
            return [self._to_charge(row) for row in store.charge_rows(connection, status=status)]

    def refunds(self, charge_reference: str | None = None) -> list[Refund]:
        with self._read() as connection:
            return [_to_refund(row) for row in store.refund_rows(connection, charge_reference)]

    def count_charges(self, *, description: str | None = None, status: ChargeStatus | None = None) -> int:
        with self._read() as connection:
            return len(store.charge_rows(connection, status=status, description=description))

    def total_charged(self, currency: str) -> Money:
        """Money taken in `currency`: succeeded charges minus refunds."""
        with self._read() as connection:
            return Money(store.net_charged_minor(connection, currency), currency)

    def _suffer_before(self) -> Fault | None:
        fault = self.faults.next() if self.faults else None
        if fault is None:
            return None
        assert self.faults is not None
        log.warning("fault injected: %s", fault.value)  # the fault tests count these
        if fault is Fault.SLOW:
            time.sleep(self.faults.slow_seconds)
        if fault is Fault.TIMEOUT_BEFORE:
            time.sleep(self.faults.timeout_seconds)
        if fault in (Fault.TIMEOUT_BEFORE, Fault.ERROR_5XX):
            raise ProcessorUnavailable()
        return fault

    def _to_charge(self, row: sa.Row[Any]) -> Charge:
        status = ChargeStatus(row.status)
        return Charge(
            reference=row.reference,
            idempotency_key=row.idempotency_key,
            amount=Money(row.amount_minor, row.currency),
            status=status,
            decline_code=row.decline_code,
            challenge_url=(
                f"{self._challenge_base_url}/challenge/{row.challenge_id}"
                if status is ChargeStatus.REQUIRES_ACTION and row.challenge_id
                else None
            ),
        )

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        with self._engine.begin() as connection:
            yield connection

    @contextmanager
    def _read(self) -> Iterator[sa.Connection]:
        with self._engine.connect().execution_options(settle_write=False) as connection:
            yield connection


def _to_refund(row: sa.Row[Any]) -> Refund:
    return Refund(
        reference=row.reference, charge_reference=row.charge_reference, amount=Money(row.amount_minor, row.currency)
    )
