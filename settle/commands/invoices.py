"""`settle invoices`: import from the rating system, list, show, void."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, BinaryIO, cast

import typer
from rich.table import Table

from settle.clock import today
from settle.commands.common import clock, err, fail, out, plain, settings, unit_of_work

invoices_app = typer.Typer(help="Invoices: import from the rating system, list, show, void.", no_args_is_help=True)


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
        lines.add_row(
            line.invoice_section_id, plain(line.description), str(line.quantity), format_money(line.amount, "en")
        )
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

    from settle.invoices.intake import RawInvoice, kind_of, read_records
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

            def advance(record: RawInvoice) -> None:
                if record.line % 1000 == 0:  # tell() and a redraw for every record cost more than the record
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
