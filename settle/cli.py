"""The `settle` command: the operator's way in (serve, demo data, users, invoices, payments)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from settle import db
from settle.commands.autopay import autopay_app
from settle.commands.common import CommandFailed, clock, engine, err, out, safe_url, settings, unit_of_work
from settle.commands.invoices import invoices_app
from settle.commands.operators import operators_app
from settle.commands.outbox import outbox_app
from settle.commands.payments import pay, payments_app, processor_app, reconcile, tokenizer
from settle.commands.support import support_app
from settle.commands.tokens import tokens_app
from settle.commands.users import users_app
from settle.commands.webhooks import webhooks_app
from settle.errors import SettleError

app = typer.Typer(help="Settle: a self-hosted billing portal.", no_args_is_help=True, add_completion=False)
db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(operators_app, name="operators")
app.add_typer(invoices_app, name="invoices")
app.add_typer(payments_app, name="payments")
app.add_typer(processor_app, name="processor")
app.add_typer(tokens_app, name="tokens")
app.add_typer(outbox_app, name="outbox")
app.add_typer(support_app, name="support")
app.add_typer(autopay_app, name="autopay")
app.add_typer(webhooks_app, name="webhooks")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (PostgreSQL for more than one).")] = 1,
    forwarded_allow_ips: Annotated[
        str | None, typer.Option(help="Proxies (e.g. 127.0.0.1) whose X-Forwarded-For/-Proto are believed.")
    ] = None,
) -> None:
    """Serve the portal and the REST API (JSON logs on stderr; SETTLE_LOG_LEVEL, SETTLE_LOG_FORMAT=text)."""
    from settle.commands.serving import check_base_url, run_server

    engine()  # refuse to start on a database that is not migrated, with the command to run
    check_base_url(host, port)
    out.print(f"Settle on http://{host}:{port}  (database: {safe_url(settings().database_url)})")
    run_server(host, port, workers, forwarded_allow_ips=forwarded_allow_ips)


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
            demo_data.load(uow, clock, tokenizer())
            out.print("Loaded the demo data.")
    out.print(f"\nPortal: {settings().base_url}/\nSign in with any of these (password: {demo_data.PASSWORD}):")
    for user in demo_data.USERS:
        out.print(f"  {user.email:28} {user.role}")


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the database migrations (safe to run again)."""
    target = engine(migrated=False)
    db.upgrade(target, revision)
    out.print(f"Database at revision {db.current_revision(target)}.")


app.command()(pay)
app.command()(reconcile)


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
