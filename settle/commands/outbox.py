"""`settle outbox`: the e-mails Settle writes, for operators to see and send."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from settle.commands.common import clock, engine, fail, out, plain, settings, unit_of_work
from settle.notify.model import OutboxStatus

outbox_app = typer.Typer(help="E-mails waiting, sent or given up.", no_args_is_help=True)


@outbox_app.command("list")
def outbox_list(
    status: Annotated[str | None, typer.Option(help="pending, sent, failed or skipped.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """List the newest e-mails of the outbox (without SETTLE_SMTP_URL they all wait here)."""
    from settle.notify.service import list_outbox

    try:
        wanted = OutboxStatus(status) if status else None
    except ValueError:
        fail(f"'{status}' is not one of {', '.join(s.value for s in OutboxStatus)}")
    with unit_of_work(write=False) as uow:
        messages = list_outbox(uow, wanted, limit)
    table = Table("Created", "Kind", "About", "To", "Language", "Status", "Attempts", "Last error")
    for message in messages:
        table.add_row(
            f"{message.created_at:%Y-%m-%d %H:%M}",
            message.kind.value,
            message.reference,
            plain(message.recipient),
            message.locale,
            message.status.value,
            str(message.attempts),
            plain(message.last_error or ""),
        )
    out.print(table)


@outbox_app.command("send")
def outbox_send() -> None:
    """Write the past-due notices that are due and send what waits, now (the server does it every minute)."""
    from settle.notify.sender import run_mail

    written, report = run_mail(engine(), clock, settings())
    out.print(
        f"Wrote {written} past-due notice(s); sent {report.sent}, retrying {report.retrying}, "
        f"failed {report.failed}, skipped {report.skipped}."
    )
    if not settings().smtp_url:
        out.print("SETTLE_SMTP_URL is not set: the messages wait in the outbox (settle outbox list).")
