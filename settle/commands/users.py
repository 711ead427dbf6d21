"""`settle users`: people who sign in, and their billing roles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from settle.access.model import ROLE_SCOPE, Role, Scope, ScopeKind
from settle.commands.common import clock, fail, out, plain, unit_of_work

users_app = typer.Typer(help="People who sign in, and their billing roles.", no_args_is_help=True)


@users_app.command("add")
def users_add(
    email: str,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="At least 12 characters.")
    ] = "",
    locale: Annotated[str | None, typer.Option(help="en, nl or da; none: the browser decides.")] = None,
) -> None:
    """Create a user who can sign in, their address verified (the operator vouches for it)."""
    from settle.accounts.service import add_user

    with unit_of_work() as uow:
        user = add_user(uow, clock, email=email, display_name=name, password=password, locale=locale, verified=True)
    out.print(f"Added {plain(user.email)} ({user.id}).")


@users_app.command("list")
def users_list() -> None:
    """List users and their billing roles."""
    with unit_of_work(write=False) as uow:
        table = Table("E-mail", "Name", "Verified", "Roles")
        for user in uow.users.list():
            held = uow.roles.for_user(user.id) + uow.pending_roles.for_user(user.id)
            roles = "\n".join(
                f"{a.role.value} at {'/'.join(a.scope.parts)}" + (" (pending verification)" if a.pending else "")
                for a in held
            )
            table.add_row(plain(user.email), plain(user.display_name), "yes" if user.verified else "no", roles or "-")
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
    out.print(f"{plain(email)} is now {role.value} at {'/'.join(scope.parts)}.")
