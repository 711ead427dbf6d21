"""`settle webhooks`: the endpoints the provider's systems listen on, and what was sent to them."""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.table import Column, Table

from settle.commands.common import clock, engine, fail, out, plain, settings, unit_of_work
from settle.notify.webhooks.model import DeliveryStatus, EventType

webhooks_app = typer.Typer(help="Webhooks: endpoints, deliveries, resending.", no_args_is_help=True)
EVENTS = ", ".join(event.value for event in EventType)


@webhooks_app.command("add")
def webhooks_add(
    url: Annotated[str, typer.Argument(help="http:// or https:// URL the events are POSTed to.")],
    events: Annotated[str, typer.Option(help=f"Comma-separated: {EVENTS}.")],
    secret_from_env: Annotated[
        str | None,
        typer.Option(help="Sign with the secret in this environment variable instead of a new one."),
    ] = None,
) -> None:
    """Register an endpoint; a new signing secret is printed once (store it with the receiver)."""
    from settle.notify.webhooks.service import add_endpoint

    secret = None
    if secret_from_env is not None:
        secret = os.environ.get(secret_from_env)
        if not secret:
            fail(f"the environment variable {secret_from_env} is not set or empty")
    with unit_of_work() as uow:
        added = add_endpoint(uow, clock, url, events, secret=secret)
    endpoint = added.endpoint
    out.print(f"Added webhook endpoint {endpoint.id}: {plain(endpoint.url)}")
    out.print(f"Events: {', '.join(sorted(endpoint.events))}")
    if added.generated_secret is not None:
        out.print("Signing secret (shown only now; verify the Settle-Signature header with it):")
        out.print(added.generated_secret, markup=False, highlight=False, soft_wrap=True)
    else:
        out.print(f"Signing secret: the one in ${secret_from_env}.")


@webhooks_app.command("list")
def webhooks_list() -> None:
    """List the endpoints events are sent to."""
    from settle.notify.webhooks.service import list_endpoints

    with unit_of_work(write=False) as uow:
        endpoints = list_endpoints(uow)
    table = Table(Column("ID", no_wrap=True), Column("URL", overflow="fold"), "Events", "Added")
    for endpoint in endpoints:
        table.add_row(
            endpoint.id, endpoint.url, ", ".join(sorted(endpoint.events)), f"{endpoint.created_at:%Y-%m-%d %H:%M}"
        )
    out.print(table)


@webhooks_app.command("remove")
def webhooks_remove(endpoint_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Stop sending to an endpoint; deliveries waiting for it are cancelled, its log stays."""
    from settle.notify.webhooks.service import remove_endpoint

    with unit_of_work() as uow:
        cancelled = remove_endpoint(uow, clock, endpoint_id)
    out.print(f"Removed webhook endpoint {endpoint_id}; cancelled {cancelled} waiting deliveries.")


@webhooks_app.command("deliveries")
def webhooks_deliveries(
    endpoint: Annotated[str | None, typer.Option(help="Only those to this endpoint (ID).")] = None,
    status: Annotated[str | None, typer.Option(help="pending, delivered, failed or cancelled.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """List the newest deliveries, with their last attempt's outcome."""
    from settle.notify.webhooks.service import list_deliveries

    try:
        wanted = DeliveryStatus(status) if status else None
    except ValueError:
        fail(f"'{status}' is not one of {', '.join(s.value for s in DeliveryStatus)}")
    with unit_of_work(write=False) as uow:
        views = list_deliveries(uow, endpoint_id=endpoint, status=wanted, limit=limit)
    table = Table(
        Column("Delivery", no_wrap=True),
        "Created",
        "Event",
        "About",
        Column("Endpoint", overflow="fold"),
        "Status",
        "Attempts",
        "Last",
        "Next attempt",
    )
    for view in views:
        delivery = view.delivery
        pending = delivery.status is DeliveryStatus.PENDING
        table.add_row(
            delivery.id,
            f"{delivery.created_at:%Y-%m-%d %H:%M}",
            view.event_type.value,
            view.reference,
            view.url,
            delivery.status.value,
            str(delivery.attempts),
            delivery.last_error or (str(delivery.last_status_code) if delivery.last_status_code else ""),
            f"{delivery.next_attempt_at:%Y-%m-%d %H:%M:%S}" if pending else "",
        )
    out.print(table)


@webhooks_app.command("show")
def webhooks_show(delivery_id: Annotated[str, typer.Argument(metavar="DELIVERY_ID")]) -> None:
    """A delivery, each attempt at it (status code, error, duration) and the body sent."""
    from settle.notify.webhooks.service import get_delivery

    with unit_of_work(write=False) as uow:
        delivery, event, attempts = get_delivery(uow, delivery_id)
    resent = f" (resent from {delivery.resent_from})" if delivery.resent_from else ""
    out.print(f"Delivery {delivery.id}{resent}: {event.type.value} about {event.reference}, {delivery.status.value}")
    out.print(f"Endpoint {delivery.endpoint_id}; tried until {delivery.give_up_at:%Y-%m-%d %H:%M:%S} UTC")
    table = Table("Attempt", "Started (UTC)", "Status code", "Error", "Duration")
    for attempt in attempts:
        table.add_row(
            str(attempt.number),
            f"{attempt.started_at:%Y-%m-%d %H:%M:%S}",
            str(attempt.status_code or ""),
            attempt.error or "",
            f"{attempt.duration_ms} ms",
        )
    out.print(table)
    out.print(event.body, markup=False, highlight=False, soft_wrap=True)


@webhooks_app.command("resend")
def webhooks_resend(delivery_id: Annotated[str, typer.Argument(metavar="DELIVERY_ID")]) -> None:
    """Send a delivery's event to its endpoint again (a new delivery, sent in the server's next round)."""
    from settle.notify.webhooks.service import resend_delivery

    with unit_of_work() as uow:
        again = resend_delivery(uow, clock, delivery_id)
    out.print(f"Resending as delivery {again.id} (settle webhooks send, or the server within a minute).")


@webhooks_app.command("send")
def webhooks_send() -> None:
    """Write the past-due events that are due and send what waits, now (the server does it every minute)."""
    from settle.notify.webhooks.sender import run_webhooks

    written, report = run_webhooks(engine(), clock, settings())
    out.print(
        f"Wrote {written} past-due event(s); delivered {report.delivered}, retrying {report.retrying}, "
        f"failed {report.failed}, deferred {report.deferred}."
    )
