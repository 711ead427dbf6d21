"""`settle support`: the support requests users open when no help article solved their problem."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from settle.commands.common import clock, fail, out, unit_of_work
from settle.help.model import SupportRequestStatus

support_app = typer.Typer(help="Support requests from users of the portal.", no_args_is_help=True)


@support_app.command("list")
def support_list(
    status: Annotated[str | None, typer.Option(help="open or closed.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """List the newest support requests."""
    from settle.help.service import list_support_requests

    try:
        wanted = SupportRequestStatus(status) if status else None
    except ValueError:
        fail(f"'{status}' is not one of {', '.join(s.value for s in SupportRequestStatus)}")
    with unit_of_work(write=False) as uow:
        requests = list_support_requests(uow, wanted, limit)
        emails = {user_id: uow.users.get(user_id).email for user_id in {r.user_id for r in requests}}
    table = Table("Number", "Opened", "Status", "From", "Language", "Subject")
    for request in requests:
        table.add_row(
            request.id,
            f"{request.created_at:%Y-%m-%d %H:%M}",
            request.status.value,
            emails[request.user_id],
            request.locale,
            request.subject,
        )
    out.print(table)


@support_app.command("show")
def support_show(number: str) -> None:
    """Show one support request in full."""
    from settle.help.service import get_support_request

    with unit_of_work(write=False) as uow:
        request = get_support_request(uow, number)
        user = uow.users.get(request.user_id)
        account = uow.accounts.get(request.billing_account_id) if request.billing_account_id else None
    out.print(f"Support request {request.id}  ({request.status.value})", highlight=False)
    out.print(f"Opened:          {request.created_at:%Y-%m-%d %H:%M} UTC", highlight=False)
    out.print(f"From:            {user.display_name} <{user.email}>", highlight=False, markup=False)
    out.print(f"Billing account: {f'{account.display_name} ({account.id})' if account else '-'}", markup=False)
    out.print(f"Language:        {request.locale}", highlight=False)
    out.print(f"Article shown:   {request.suggested_article or '-'}", highlight=False)
    out.print(f"Subject:         {request.subject}", highlight=False, markup=False)
    out.print(f"\n{request.description}", highlight=False, markup=False)


@support_app.command("close")
def support_close(number: str) -> None:
    """Close a support request that has been answered."""
    from settle.help.service import close_support_request

    with unit_of_work() as uow:
        request = close_support_request(uow, clock, number)
    out.print(f"Closed support request {request.id}.")
