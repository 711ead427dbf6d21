"""Automatic payment: `settle autopay run [--date D]` (the server runs it once a day by itself) and
`settle autopay set PROFILE on|off --as EMAIL`."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from settle.commands.common import clock, engine, fail, out, plain, settings, unit_of_work

autopay_app = typer.Typer(help="Automatic payment of invoices on their due date.", no_args_is_help=True)


@autopay_app.command("run")
def autopay_run(
    day: Annotated[str | None, typer.Option("--date", help="Charge what is due by this day, YYYY-MM-DD.")] = None,
) -> None:
    """Charge each invoice due by the date (default: today) on an autopay billing profile to its
    default card, retrying failed charges on their days. Safe to run again: nothing is charged twice."""
    from settle.payments.autopay import run_autopay
    from settle.payments.autopay_model import RetrySchedule
    from settle.payments.background import card_policy
    from settle.processor.configured import build_processor

    try:
        on = date.fromisoformat(day) if day else None
    except ValueError:
        fail(f"'{day}' is not a date: write it as YYYY-MM-DD")
    config = settings()
    report = run_autopay(
        engine(),
        build_processor(config, clock),
        clock,
        day=on,
        schedule=RetrySchedule(config.autopay_retry_days),
        policy=card_policy(config),
        tz=config.timezone,
    )
    if report.busy:
        fail("another autopay run is in progress (on this or another machine): try again when it has finished")
    out.print(
        f"Autopay for {report.day}: {report.considered} invoice(s) due; {report.succeeded} paid, "
        f"{report.declined} declined, {report.in_progress} in progress, {report.not_now} not charged today."
    )


@autopay_app.command("set")
def autopay_set(
    profile: str,
    state: Annotated[str, typer.Argument(help="on or off")],
    as_user: Annotated[str, typer.Option("--as", help="E-mail of the user who changes it (their roles apply).")],
) -> None:
    """Turn automatic payment of a billing profile's invoices on or off."""
    from settle.payments.autopay import set_autopay

    if state not in ("on", "off"):
        fail(f"'{state}' is neither on nor off")
    with unit_of_work() as uow:
        user = uow.users.get_by_email(as_user.strip().lower())
        updated = set_autopay(
            uow, clock, actor_id=user.id, profile_id=profile, enabled=state == "on", tz=settings().timezone
        )
    since = f" (invoices due from {updated.autopay_since} on)" if updated.autopay_since else ""
    out.print(f"Automatic payment of {plain(updated.display_name)} is {state}{since}.")
