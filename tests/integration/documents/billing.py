"""A billing profile in a given language with a saved card, and payments made through pay_invoice
with the simulated processor: the real rows documents and e-mails are made from."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import Engine

from settle.accounts.model import User
from settle.clock import FixedClock
from settle.invoices.model import Invoice
from settle.money import Money
from settle.payments.model import Payment, PaymentMethod, PayRequest
from settle.payments.paying import pay_invoice
from settle.payments.service import make_default_payment_method, record_bank_transfer, save_card
from settle.processor.simulated import SimulatedProcessor
from settle.uow import UnitOfWork
from tests.integration.factories import World, add_invoices, make_invoice, make_world

VISA = "4242424242424242"
DECLINED = "4000000000000002"
CURRENCY = {"en": "USD", "nl": "EUR", "da": "DKK"}


@dataclass
class Billing:
    engine: Engine
    clock: FixedClock
    processor: SimulatedProcessor
    world: World
    card: PaymentMethod
    payer: User

    @property
    def profile_id(self) -> str:
        return self.world.profile.id

    def invoice(self, **options: object) -> Invoice:
        issued = make_invoice(self.world, self.clock, **options)  # type: ignore[arg-type]
        add_invoices(self.engine, [issued])
        return issued

    def pay_by_card(self, invoice: Invoice, number: str = VISA, key: str = "key-1") -> Payment:
        card = self.card if number == VISA else self.add_card(number)
        request = PayRequest(invoice.id, card.id, invoice.amount_due, key)
        return pay_invoice(self.engine, self.processor, self.clock, actor_id=self.payer.id, request=request).payment

    def pay_by_transfer(self, invoice: Invoice, amount: Money | None = None) -> Payment:
        with UnitOfWork(self.engine) as uow:
            payment, _ = record_bank_transfer(
                uow, self.clock, invoice_number=invoice.id, amount=amount or invoice.amount_due, reference=invoice.id
            )
        return payment

    def add_card(self, number: str) -> PaymentMethod:
        token = self.processor.tokenize(number, 12, 2030, "123", "Søren Ærø")
        with UnitOfWork(self.engine) as uow:
            return save_card(uow, self.clock, owner_id=self.payer.id, token=token, linked_to=[self.profile_id])


def make_billing(
    engine: Engine,
    clock: FixedClock,
    tmp_path: Path,
    *,
    language: str = "nl",
    payer_locale: str | None = None,
    invoice_email: str = "ap@contoso.example",
) -> Billing:
    """Contoso's billing profile in `language` (and its currency), its invoice e-mail, and a payer
    (the account's owner) with a Visa card that is the profile's default."""
    world = make_world(engine, clock, currency=CURRENCY[language])
    with UnitOfWork(engine) as uow:
        profile = replace(world.profile, invoice_language=language, invoice_email=invoice_email)
        uow.profiles.update(profile)
        owner = replace(world.owner, locale=payer_locale, display_name="Søren Ærø")
        uow.users.update(owner)
    world = replace(world, profile=profile, owner=owner)
    processor = SimulatedProcessor(f"sqlite:///{tmp_path / 'processor.db'}", clock)
    billing = Billing(engine, clock, processor, world, card=None, payer=owner)  # type: ignore[arg-type]
    billing.card = billing.add_card(VISA)
    with UnitOfWork(engine) as uow:
        make_default_payment_method(uow, clock, actor_id=owner.id, profile_id=profile.id, method_id=billing.card.id)
    return billing
