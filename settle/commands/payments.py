"""Paying and payments: `settle pay`, `settle reconcile`, `settle payments record|refund`, and the
simulated processor served on its own (`settle processor serve`)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from settle.commands.common import clock, engine, fail, out, safe_url, settings, unit_of_work
from settle.money import Money
from settle.payments.model import CardPolicy
from settle.processor.interface import Tokenizer

payments_app = typer.Typer(help="Payments received outside the portal, and refunds.", no_args_is_help=True)


def reconcile(
    older_than: Annotated[int, typer.Option(help="Seconds a payment must have been in flight.")] = 300,
) -> None:
    """Finish payments and refunds left in flight (a crash, a lost answer) by asking the processor."""
    from datetime import timedelta

    from settle.payments.paying import reconcile as reconcile_payments
    from settle.payments.refunds import finish_pending_refunds
    from settle.processor.configured import build_processor

    processor, wait = build_processor(settings(), clock), timedelta(seconds=older_than)
    report = reconcile_payments(engine(), processor, clock, older_than=wait)
    out.print(
        f"Checked {report.checked} payment(s): {report.succeeded} succeeded, {report.failed} failed, "
        f"{report.still_open} still open."
    )
    refunds = finish_pending_refunds(engine(), processor, clock, older_than=wait)
    if refunds.checked:
        out.print(
            f"Checked {refunds.checked} refund(s): {refunds.succeeded} succeeded, {refunds.failed} failed, "
            f"{refunds.still_open} still open."
        )


def pay(
    number: str,
    as_user: Annotated[str, typer.Option("--as", help="E-mail of the user who pays (their roles apply).")],
    method: Annotated[str | None, typer.Option(help="Payment method id; default: the profile's default.")] = None,
    amount: Annotated[str | None, typer.Option(help="The amount due you expect; default: as it stands.")] = None,
    key: Annotated[str | None, typer.Option(help="Idempotency key; the same key never pays twice.")] = None,
) -> None:
    """Pay an invoice by card, as a user would with Pay now."""
    import uuid

    from settle.payments.model import Declined, InProgress, PayRequest, RequiresAction, Succeeded
    from settle.payments.paying import pay_invoice
    from settle.processor.configured import build_processor

    with unit_of_work(write=False) as uow:
        user = uow.users.get_by_email(as_user.strip().lower())
        invoice = uow.invoices.get(number)
        method_id = method or uow.profiles.get(invoice.billing_profile_id).default_payment_method_id
    if method_id is None:
        fail("the billing profile has no default payment method: give --method")
    seen = Money.from_decimal(amount, invoice.currency) if amount else invoice.amount_due
    request = PayRequest(number, method_id, seen, key or uuid.uuid4().hex)
    outcome = pay_invoice(
        engine(),
        build_processor(settings(), clock),
        clock,
        actor_id=user.id,
        request=request,
        policy=_card_policy(),
        tz=settings().timezone,
    )
    if isinstance(outcome, Succeeded):
        out.print(f"Paid {outcome.payment.amount} on {number}: receipt {outcome.receipt_number}.")
    elif isinstance(outcome, Declined):
        fail(f"the card was declined ({outcome.code.value}); the invoice is still payable.")
    elif isinstance(outcome, RequiresAction):
        out.print(f"The card asks for 3-D Secure: complete it at {outcome.challenge_url}")
    elif isinstance(outcome, InProgress):
        out.print("The processor has not answered yet; `settle reconcile` will finish the payment.")


processor_app = typer.Typer(help="The built-in simulated card processor.", no_args_is_help=True)


@processor_app.command("serve")
def processor_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
) -> None:
    """Serve the simulated processor on its own; point Settle at it with SETTLE_PROCESSOR_URL and give
    both the same SETTLE_PROCESSOR_SECRET_KEY."""
    import uvicorn

    from settle.processor.app import create_processor_app
    from settle.processor.faults import Faults
    from settle.processor.keys import ProcessorKeys
    from settle.processor.simulated import SimulatedProcessor

    if not os.environ.get("SETTLE_PROCESSOR_SECRET_KEY", "").strip():
        # Served alone it is reachable by others: it never runs with a key nobody chose.
        fail(
            "Set SETTLE_PROCESSOR_SECRET_KEY (for example to the output of "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`), and the same on Settle's side."
        )
    configured = settings()
    faults = Faults.from_spec(configured.processor_faults) if configured.processor_faults else None
    base_url = f"http://{host}:{port}"
    processor = SimulatedProcessor(configured.processor_ledger_url, clock, challenge_base_url=base_url, faults=faults)
    out.print(f"Simulated processor on {base_url} (ledger: {safe_url(configured.processor_ledger_url)})")
    out.print(f"3-D Secure returns only to pages under {configured.base_url} (SETTLE_BASE_URL)")
    if faults is not None:
        out.print(f"Injecting faults: {configured.processor_faults}")
    app = create_processor_app(processor, ProcessorKeys(configured.processor_secret_key), configured.base_url)
    # No access log: a challenge link's path is the card holder's secret.
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


def tokenizer() -> Tokenizer:
    from settle.processor.configured import build_processor

    return build_processor(settings(), clock)


def _card_policy() -> CardPolicy:
    from settle.payments.model import CardPolicy

    return CardPolicy(limits=settings().card_limits, refuse_prepaid=settings().refuse_prepaid_cards)


@payments_app.command("record")
def payments_record(
    number: str,
    amount: Annotated[str, typer.Argument(help="Amount received, in the invoice's currency, e.g. 1234.56.")],
    reference: Annotated[str, typer.Option(help="The bank transfer's reference.")] = "",
) -> None:
    """Record a bank transfer received for an invoice (all of the amount due, or part of it)."""
    from settle.payments.service import record_bank_transfer

    with unit_of_work() as uow:
        invoice = uow.invoices.get(number, for_update=True)
        payment, paid = record_bank_transfer(
            uow, clock, invoice_number=number, amount=Money.from_decimal(amount, invoice.currency), reference=reference
        )
    out.print(
        f"Recorded {payment.amount} on {number} (receipt {payment.receipt_number}); amount due now {paid.amount_due}."
    )


@payments_app.command("refund")
def payments_refund(
    payment_id: str,
    amount: Annotated[
        str | None, typer.Option(help="Amount to give back, e.g. 12.34; default: all that is left.")
    ] = None,
    key: Annotated[str | None, typer.Option(help="Idempotency key; the same key never refunds twice.")] = None,
) -> None:
    """Refund a card payment through the processor, in full or in part (the invoice is due again)."""
    import uuid

    from settle.payments.refund_model import RefundStatus
    from settle.payments.refunds import refund_payment
    from settle.processor.configured import build_processor

    with unit_of_work(write=False) as uow:
        payment = uow.payments.get(payment_id)
    given = Money.from_decimal(amount, payment.amount.currency) if amount else None
    done = refund_payment(
        engine(),
        clock,
        build_processor(settings(), clock),
        payment_id=payment.id,
        idempotency_key=key or uuid.uuid4().hex,
        amount=given,
    )
    if done.status is RefundStatus.PENDING:
        out.print(f"Refund {done.id} of {done.amount} is pending: `settle reconcile` will finish it.")
        return
    with unit_of_work(write=False) as uow:
        invoice = uow.invoices.get(done.invoice_id)
    out.print(
        f"Refunded {done.amount} of payment {payment.id} (refund receipt {done.receipt_number}); "
        f"amount due on {invoice.id} now {invoice.amount_due}."
    )
