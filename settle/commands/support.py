"""`settle support`: the support requests users open when no help article solved their problem, and
the staff's answers to them (e-mailed to the user, in the request's language, through the outbox)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from settle.commands.common import clock, fail, out, plain, unit_of_work
from settle.help.model import SupportRequestStatus

support_app = typer.Typer(help="Support requests from users of the portal.", no_args_is_help=True)


@support_app.command("list")
def support_list(
    status: Annotated[str | None, typer.Option(help="open, answered or closed.")] = None,
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
    table = Table("Number", "Opened", "Status", "Problem type", "From", "Language", "Subject")
    for request in requests:
        table.add_row(
            request.id,
            f"{request.created_at:%Y-%m-%d %H:%M}",
            request.status.value,
            request.problem_type.value,
            plain(emails[request.user_id]),
            request.locale,
            plain(request.subject),
        )
    out.print(table)


@support_app.command("show")
def support_show(number: str) -> None:
    """Show one support request in full, with its conversation."""
    from settle.help.service import get_support_request, replies_of

    with unit_of_work(write=False) as uow:
        request = get_support_request(uow, number)
        user = uow.users.get(request.user_id)
        account = uow.accounts.get(request.billing_account_id) if request.billing_account_id else None
        profile = uow.profiles.get(request.billing_profile_id) if request.billing_profile_id else None
        replies = replies_of(uow, request)
    contact = f"phone {request.contact_phone}" if request.contact_phone else "e-mail"
    lines = [
        ("Opened:", f"{request.created_at:%Y-%m-%d %H:%M} UTC"),
        ("From:", f"{user.display_name} <{user.email}>"),
        ("Contact by:", contact),
        ("Problem type:", request.problem_type.value),
        ("Billing account:", f"{account.display_name} ({account.id})" if account else "-"),
        ("Billing profile:", f"{profile.display_name} ({profile.id})" if profile else "-"),
        ("Invoice:", request.invoice_id or "-"),
        ("Language:", request.locale),
        ("Article shown:", request.suggested_article or "-"),
        ("Subject:", request.subject),
    ]
    out.print(f"Support request {request.id}  ({request.status.value})", highlight=False)
    for label, value in lines:
        out.print(f"{label:<17}{plain(value)}", highlight=False)
    out.print(f"\n{plain(request.description)}", highlight=False)
    for reply in replies:
        who = "Support" if reply.from_operator else user.display_name
        out.print(f"\n--- {plain(who)}, {reply.created_at:%Y-%m-%d %H:%M} UTC", highlight=False)
        out.print(plain(reply.body), highlight=False)


@support_app.command("reply")
def support_reply(
    number: str,
    message: Annotated[str | None, typer.Option("--message", "-m", help="The answer.")] = None,
    file: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, readable=True, help="The answer, from a UTF-8 file.")
    ] = None,
    close: Annotated[bool, typer.Option("--close", help="Close the request with this answer.")] = False,
) -> None:
    """Answer a support request: the user is e-mailed the answer and sees it on the request's page."""
    from settle.help.service import answer_support_request

    if message is not None and file is None:
        body = message
    elif file is not None and message is None:
        body = file.read_text(encoding="utf-8")
    else:
        fail("give the answer with either --message or --file")
    with unit_of_work() as uow:
        request, _reply = answer_support_request(uow, clock, number, body, close=close)
    out.print(f"Answered support request {request.id} ({request.status.value}); the e-mail waits in the outbox.")


@support_app.command("close")
def support_close(number: str) -> None:
    """Close a support request that has been answered."""
    from settle.help.service import close_support_request

    with unit_of_work() as uow:
        request = close_support_request(uow, clock, number)
    out.print(f"Closed support request {request.id}.")
