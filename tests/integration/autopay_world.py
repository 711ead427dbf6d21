"""A world for automatic payment and refunds: billing profiles each paying with one test card, invoices
due on a day, the simulated processor, and the ledger read per invoice."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.engine import Engine

from settle.accounts.model import BillingProfile
from settle.accounts.service import add_billing_profile
from settle.clock import FixedClock, today
from settle.invoices.model import Invoice
from settle.payments.autopay import DEFAULT_SCHEDULE, AutopayReport, run_autopay, set_autopay
from settle.payments.autopay_model import RetrySchedule
from settle.payments.model import PaymentMethod
from settle.payments.service import make_default_payment_method, save_card
from settle.processor import store
from settle.processor.interface import ChargeStatus
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from tests.integration.factories import World, add_invoices, make_invoice

VISA = "4242424242424242"  # succeeds
DECLINED = "4000000000000002"  # card_declined: soft, tried again
INSUFFICIENT = "4000000000009995"  # insufficient_funds: soft
EXPIRED = "4000000000000069"  # expired_card: hard, never again
STOLEN = "4000000000009979"  # stolen_card: hard
GOOD = frozenset({VISA})


@dataclass
class Autopay:
    engine: Engine
    clock: FixedClock
    processor: SimulatedProcessor
    world: World

    def profile(self, number: str, *, language: str = "en", email: str = "ap@contoso.example") -> BillingProfile:
        """A billing profile whose default card is `number`, with automatic payment on from today."""
        with UnitOfWork(self.engine) as uow:
            profile = add_billing_profile(
                uow,
                self.clock,
                billing_account_id=self.world.account.id,
                display_name=f"Pays with {number[-4:]}",
                currency="EUR",
                invoice_email=email,
                invoice_language=language,
            )
        card = self.card(number, profile.id)
        with UnitOfWork(self.engine) as uow:
            owner = self.world.owner.id
            make_default_payment_method(uow, self.clock, actor_id=owner, profile_id=profile.id, method_id=card.id)
            return set_autopay(uow, self.clock, actor_id=owner, profile_id=profile.id, enabled=True)

    def card(self, number: str, profile_id: str) -> PaymentMethod:
        token = self.processor.tokenize(number, 12, today(self.clock).year + 3, "123", "Card Holder")
        with UnitOfWork(self.engine) as uow:
            return save_card(uow, self.clock, owner_id=self.world.owner.id, token=token, linked_to=[profile_id])

    def invoices(self, profile: BillingProfile, count: int, *, due_in_days: int = 0) -> list[Invoice]:
        world = replace(self.world, profile=profile)
        made = [make_invoice(world, self.clock, due_in_days=due_in_days) for _ in range(count)]
        add_invoices(self.engine, made)
        return made

    def run(self, day: date | None = None, schedule: RetrySchedule = DEFAULT_SCHEDULE) -> AutopayReport:
        return run_autopay(self.engine, self.processor, self.clock, day=day, schedule=schedule)

    def invoice(self, number: str) -> Invoice:
        with UnitOfWork(self.engine, write=False) as uow:
            return uow.invoices.get(number)

    def charges_per_invoice(self, status: ChargeStatus | None = None) -> Counter[str]:
        """How many charges (of `status`) the processor's own ledger holds per invoice: Settle describes
        each charge as `Invoice <number>`, and the ledger keeps that description."""
        with self.processor._engine.connect() as connection:
            rows = store.charge_rows(connection, status=status)
        return Counter(str(row.description).removeprefix("Invoice ") for row in rows)

    def advance_to(self, day: date) -> None:
        self.clock.advance(timedelta(days=(day - today(self.clock)).days))
