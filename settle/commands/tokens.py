"""`settle tokens …`: personal access tokens for the REST API, made and revoked by the operator.

settle/cli.py registers `tokens_app`."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated

import typer

from settle.commands.common import clock, err, fail, out, plain, unit_of_work

tokens_app = typer.Typer(help="Personal access tokens for the REST API.", no_args_is_help=True)

_DURATION = re.compile(r"^(\d+)([dhw])$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
NEVER = "never"


def parse_expiry(text: str) -> timedelta | None:
    """`90d`, `12h` or `4w` as a time span; `never` as None. Raises ValueError for anything else."""
    if text.strip().lower() == NEVER:
        return None
    match = _DURATION.match(text.strip().lower())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"'{text}' is not a duration: use e.g. 90d, 12h, 4w or never")
    return int(match.group(1)) * _UNITS[match.group(2)]


@tokens_app.command("create")
def tokens_create(
    email: str,
    name: Annotated[str, typer.Option(help="What the token is for, to tell tokens apart.")] = "Command line",
    expires: Annotated[str, typer.Option(help="Lifetime: e.g. 90d, 12h, 4w, or never.")] = "90d",
) -> None:
    """Create a token for a user; its secret is printed once."""
    from settle.access.api_tokens import create_api_token

    try:
        lifetime = parse_expiry(expires)
    except ValueError as error:
        fail(str(error))
    expires_at = clock.now() + lifetime if lifetime is not None else None
    with unit_of_work() as uow:
        user = uow.users.get_by_email(email.strip().lower())
        secret, token = create_api_token(uow, clock, user.id, name, expires_at, by_operator=True)
    out.print(secret, markup=False, highlight=False, soft_wrap=True)
    until = f"until {_when(token.expires_at)}" if token.expires_at else "without expiry"
    err.print(f"Token {token.id} for {user.email}, valid {until}.")
    err.print("[bold]Copy the token now: it is not stored and will not be shown again.[/bold]")


@tokens_app.command("list")
def tokens_list(email: str) -> None:
    """List a user's tokens (never their secrets)."""
    from rich.table import Table

    from settle.access.api_tokens import list_api_tokens

    with unit_of_work(write=False) as uow:
        user = uow.users.get_by_email(email.strip().lower())
        tokens = list_api_tokens(uow, user.id)
    table = Table("Id", "Name", "Token", "Created", "Expires", "Last used", "Status")
    now = clock.now()
    for token in tokens:
        table.add_row(
            token.id,
            plain(token.name),
            f"{token.prefix}…",
            _when(token.created_at),
            _when(token.expires_at) if token.expires_at else "never",
            _when(token.last_used_at) if token.last_used_at else "-",
            token.status(now),
        )
    out.print(table)


@tokens_app.command("revoke")
def tokens_revoke(token_id: str) -> None:
    """Revoke a token at once."""
    from settle.access.api_tokens import revoke_api_token

    with unit_of_work() as uow:
        token = revoke_api_token(uow, clock, None, token_id)
    out.print(f"Token {token.id} ({plain(token.name)}) is revoked.")


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""
