"""`settle operators`: the provider's operators (refunds, every support request), granted explicitly."""

from __future__ import annotations

import typer
from rich.table import Table

from settle.commands.common import clock, out, plain, unit_of_work

operators_app = typer.Typer(help="The provider's operators: refunds and every support request.", no_args_is_help=True)


@operators_app.command("add")
def operators_add(email: str) -> None:
    """Make an existing user an operator (audited)."""
    from settle.access.operators import grant_operator

    with unit_of_work() as uow:
        user = grant_operator(uow, clock, email)
    out.print(f"{plain(user.email)} is now an operator.")


@operators_app.command("remove")
def operators_remove(email: str) -> None:
    """Take a user's operator rights away (audited)."""
    from settle.access.operators import revoke_operator

    with unit_of_work() as uow:
        user = revoke_operator(uow, clock, email)
    out.print(f"{plain(user.email)} is no longer an operator.")


@operators_app.command("list")
def operators_list() -> None:
    """Every operator, in the order they were granted."""
    from settle.access.operators import list_operators

    with unit_of_work(write=False) as uow:
        found = list_operators(uow)
    table = Table("E-mail", "Name", "Granted")
    for user, grant in found:
        table.add_row(plain(user.email), plain(user.display_name), grant.granted_at.strftime("%Y-%m-%d %H:%M UTC"))
    out.print(table if found else "No operators.")
