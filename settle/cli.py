"""The `settle` command: the operator's way in (serve, demo data, users, invoices, payments)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, BinaryIO, NoReturn, cast

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from settle import db
from settle.access.cli import tokens_app
from settle.access.model import ROLE_SCOPE, Role, Scope, ScopeKind
from settle.clock import SystemClock, today
from settle.config import Settings
from settle.errors import SettleError
from settle.money import Money
from settle.payments.model import CardPolicy
from settle.processor.interface import Tokenizer
from settle.uow import UnitOfWork

app = typer.Typer(help="Settle: a self-hosted billing portal.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
users_app = typer.Typer(help="People who sign in, and their billing roles.", no_args_is_help=True)
invoices_app = typer.Typer(help="Invoices: import from the rating system, list, show, void.", no_args_is_help=True)
payments_app = typer.Typer(help="Payments received outside the portal.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(invoices_app, name="invoices")
app.add_typer(payments_app, name="payments")
app.add_typer(tokens_app, name="tokens")

# Wide enough for invoice tables when the output is a pipe or a CI log rather than a terminal.
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
clock = SystemClock()


class CommandFailed(Exception):
    """A one-line reason to stop, shown without a traceback."""


def fail(message: str) -> NoReturn:
    raise CommandFailed(message)


def settings() -> Settings:
    return Settings.from_env()


def engine(*, migrated: bool = True) -> Engine:
    """The configured database; by default refuses one that is not migrated."""
    created = db.create_engine(settings().database_url)
    if migrated:
        db.check_migrated(created)
    return created


@contextmanager
def unit_of_work(write: bool = True) -> Iterator[UnitOfWork]:
    with UnitOfWork(engine(), write=write) as uow:
        yield uow


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
) -> None:
    """Serve the portal and the REST API."""
    import uvicorn

    engine()  # refuse to start on a database that is not migrated, with the command to run
    out.print(f"Settle on http://{host}:{port}  (database: {_safe_url(settings().database_url)})")
    uvicorn.run("settle.web.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


@app.command()
def demo(
    reset: Annotated[bool, typer.Option("--reset", help="Delete all data first, then load the demo.")] = False,
) -> None:
    """Load the demo data (Contoso and Fabrikam) once; again with --reset starts over."""
    from settle import demo as demo_data

    with unit_of_work() as uow:
        if reset:
            demo_data.reset(uow)
        if demo_data.is_loaded(uow):
            out.print("The demo data is already loaded (use --reset to start over).")
        else:
            demo_data.load(uow, clock, _tokenizer())
            out.print("Loaded the demo data.")
    out.print(f"\nPortal: {settings().base_url}/\nSign in with any of these (password: {demo_data.PASSWORD}):")
    for user in demo_data.USERS:
        out.print(f"  {user.email:28} {user.role}")


@app.command()
def reconcile(
    older_than: Annotated[int, typer.Option(help="Seconds a payment must have been in flight.")] = 300,
) -> None:
    """Finish payments left in flight (a crash, a lost answer) by asking the processor."""
    from datetime import timedelta

    from settle.payments.paying import reconcile as reconcile_payments
    from settle.processor.configured import build_processor

    report = reconcile_payments(
        engine(), build_processor(settings(), clock), clock, older_than=timedelta(seconds=older_than)
    )
    out.print(
        f"Checked {report.checked} payment(s): {report.succeeded} succeeded, {report.failed} failed, "
        f"{report.still_open} still open."
    )


@app.command()
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
app.add_typer(processor_app, name="processor")


@processor_app.command("serve")
def processor_serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
) -> None:
    """Serve the simulated processor on its own; point Settle at it with SETTLE_PROCESSOR_URL."""
    import uvicorn

    from settle.processor.app import create_processor_app
    from settle.processor.simulated import SimulatedProcessor

    processor = SimulatedProcessor(settings().processor_ledger_url, clock, challenge_base_url=f"http://{host}:{port}")
    out.print(f"Simulated processor on http://{host}:{port} (ledger: {_safe_url(settings().processor_ledger_url)})")
    uvicorn.run(create_processor_app(processor), host=host, port=port, log_level="info")


def _tokenizer() -> Tokenizer:
    from settle.processor.configured import build_processor

    return build_processor(settings(), clock)


def _card_policy() -> CardPolicy:
    from settle.payments.model import CardPolicy

    return CardPolicy(limits=settings().card_limits, refuse_prepaid=settings().refuse_prepaid_cards)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the database migrations (safe to run again)."""
    target = engine(migrated=False)
    db.upgrade(target, revision)
    out.print(f"Database at revision {db.current_revision(target)}.")


@users_app.command("add")
def users_add(
    email: str,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters.")
    ] = "",
    locale: Annotated[str | None, typer.Option(help="en, nl or da; none: the browser decides.")] = None,
) -> None:
    """Create a user who can sign in."""
    from settle.accounts.service import add_user

    with unit_of_work() as uow:
        user = add_user(uow, clock, email=email, display_name=name, password=password, locale=locale)
    out.print(f"Added {user.email} ({user.id}).")


@users_app.command("list")
def users_list() -> None:
    """List users and their billing roles."""
    with unit_of_work(write=False) as uow:
        table = Table("E-mail", "Name", "Roles")
        for user in uow.users.list():
            roles = "\n".join(f"{a.role.value} at {'/'.join(a.scope.parts)}" for a in uow.roles.for_user(user.id))
            table.add_row(user.email, user.display_name, roles or "-")
    out.print(table)


@users_app.command("grant")
def users_grant(
    email: str,
    role: Annotated[Role, typer.Argument(help="The billing role.", case_sensitive=False)],
    account: Annotated[str, typer.Option(help="Billing account id.")],
    profile: Annotated[str | None, typer.Option(help="Billing profile id (profile and section roles).")] = None,
    section: Annotated[str | None, typer.Option(help="Invoice section id (section roles).")] = None,
) -> None:
    """Give a user a billing role at a scope."""
    from settle.access.service import grant_role

    scope = (
        Scope(account, profile, section)
        if section is None or profile is not None
        else fail("--section needs --profile")
    )
    if ROLE_SCOPE[role] is not scope.kind:
        needs = {
            ScopeKind.BILLING_ACCOUNT: "--account only",
            ScopeKind.BILLING_PROFILE: "--account and --profile",
            ScopeKind.INVOICE_SECTION: "--account, --profile and --section",
        }[ROLE_SCOPE[role]]
        fail(f"{role.value} is held at a {ROLE_SCOPE[role].value}: give {needs}.")
    with unit_of_work() as uow:
        user = uow.users.get_by_email(email.strip().lower())
        grant_role(uow, clock, actor_id=None, user_id=user.id, role=role, scope=scope)
    out.print(f"{email} is now {role.value} at {'/'.join(scope.parts)}.")


@invoices_app.command("list")
def invoices_list(
    profile: Annotated[str | None, typer.Option(help="Only this billing profile.")] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="Due, PastDue, PartiallyPaid, Paid or Void; repeatable.")
    ] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """List invoices, newest first."""
    from settle.invoices.model import InvoiceQuery, InvoiceStatus
    from settle.invoices.service import list_invoices
    from settle.money import format_money

    try:
        statuses = frozenset(InvoiceStatus(value) for value in status or [])
    except ValueError as error:
        fail(f"{error}; use Due, PastDue, PartiallyPaid, Paid or Void")
    with unit_of_work(write=False) as uow:
        profiles = (
            [uow.profiles.get(profile)]
            if profile
            else [p for a in uow.accounts.list() for p in uow.profiles.list_for_account(a.id)]
        )
        query = InvoiceQuery(frozenset(p.id for p in profiles), statuses=statuses, limit=limit)
        rows = list_invoices(uow, clock, query, settings().timezone)
    table = Table("Invoice", "Billing profile", "Date", "Due", "Total", "Amount due", "Status")
    for row in rows:
        invoice = row.invoice
        table.add_row(
            invoice.id,
            invoice.billing_profile_id,
            str(invoice.invoice_date),
            str(invoice.due_date),
            format_money(invoice.total, "en"),
            format_money(invoice.amount_due, "en"),
            row.status.value,
        )
    out.print(table)


@invoices_app.command("show")
def invoices_show(number: str) -> None:
    """Show one invoice with its lines and payments."""
    from settle.money import format_money

    with unit_of_work(write=False) as uow:
        invoice = uow.invoices.get(number)
        payments = uow.payments.list_for_invoice(number)
        in_flight = any(payment.in_flight for payment in payments)
    status = invoice.display_status(today(clock, settings().timezone), in_flight)
    out.print(f"[bold]Invoice {invoice.id}[/bold]  {status.value}")
    out.print(f"Billing profile {invoice.billing_profile_id}, account {invoice.billing_account_id}")
    period = f"{invoice.period_start} – {invoice.period_end}"
    out.print(f"Invoice date {invoice.invoice_date}, due {invoice.due_date}, period {period}")
    lines = Table("Section", "Description", "Quantity", "Amount")
    for line in invoice.lines:
        lines.add_row(line.invoice_section_id, line.description, str(line.quantity), format_money(line.amount, "en"))
    out.print(lines)
    for label, amount in (
        ("Subtotal", invoice.subtotal),
        ("Credits", invoice.credits),
        (f"Tax ({invoice.tax_rate})", invoice.tax),
        ("Total", invoice.total),
        ("Amount due", invoice.amount_due),
    ):
        out.print(f"{label:>16}: {format_money(amount, 'en')}")
    for payment in payments:
        name = payment.receipt_number or payment.id
        when = f"{payment.created_at:%Y-%m-%d}"
        out.print(f"Payment {name}: {payment.amount} {payment.family.value} {payment.status.value} {when}")


@invoices_app.command("import")
def invoices_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="JSON Lines or CSV.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Import the good records even if some are bad.")
    ] = False,
) -> None:
    """Import invoices from the rating system (format: see settle/invoices/intake.py and README)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    from settle.invoices.intake import kind_of, read_records
    from settle.invoices.service import ImportRejected, import_invoices

    size = file.stat().st_size
    with file.open(encoding="utf-8", newline="") as stream:
        kind = kind_of(str(file), stream.read(64))
        stream.seek(0)
        progress = Progress(
            TextColumn("Importing"),
            BarColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
        with progress:
            task = progress.add_task("import", total=size)
            binary = cast(BinaryIO, stream.buffer)

            def advance(_record: object) -> None:
                progress.update(task, completed=binary.tell())

            try:
                with unit_of_work() as uow:
                    report = import_invoices(
                        uow, clock, read_records(stream, kind), skip_invalid=skip_invalid, on_record=advance
                    )
            except ImportRejected as rejected:
                report = rejected.report
    for line, reason in report.errors[:100]:
        err.print(f"line {line}: {reason}", markup=False, highlight=False)
    if len(report.errors) > 100:
        err.print(f"… and {len(report.errors) - 100} more bad records")
    if report.errors and not skip_invalid:
        fail(f"{report.rejected} bad record(s): nothing was imported (fix them, or use --skip-invalid).")
    out.print(f"Imported {report.imported} invoice(s); skipped {report.rejected} bad record(s).")


@invoices_app.command("void")
def invoices_void(
    number: str, reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = ""
) -> None:
    """Void an invoice that nothing was paid on."""
    from settle.invoices.service import void_invoice

    with unit_of_work() as uow:
        void_invoice(uow, clock, number, reason=reason)
    out.print(f"Invoice {number} is void.")


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


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """Entry point: Settle's errors become one clear line and exit status 1, never a traceback."""
    try:
        app()
    except (SettleError, CommandFailed) as error:
        err.print(f"[red]error:[/red] {error}", highlight=False)
        sys.exit(1)
    except DBAPIError as error:
        err.print(f"[red]error:[/red] database: {str(error.orig).strip().splitlines()[0]}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
