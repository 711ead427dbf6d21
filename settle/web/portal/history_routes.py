"""Cost Management + Billing › Payment history (payments and refunds) and the invoice exports."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from settle.accounts.model import User
from settle.clock import today
from settle.invoices.exports import ExportDialect, export_filename, export_invoices
from settle.payments.lists import list_payment_history
from settle.uow import UnitOfWork
from settle.web.portal.invoice_routes import BadFilter, GridFilter
from settle.web.portal.pages import signed_in, visitor
from settle.web.portal.scope import billing_view, render_billing

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[User, Depends(signed_in)]
PAGE_SIZE = 50


@router.get("/billing/payments")
def payment_history(request: Request, user: SignedIn, scope: str = "", before: str = "") -> Response:
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        view = billing_view(uow, user, scope)
        entries = (
            []
            if view.current.scope.invoice_section_id
            else list_payment_history(
                uow, actor_id=user.id, scope=view.current.scope, before=_keyset(before), limit=PAGE_SIZE + 1
            )
        )
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    last = entries[-1] if more else None
    next_url = view.url("/billing/payments", before=f"{last.created_at.isoformat()}~{last.id}") if last else None
    return render_billing(request, "billing/payments.html", view, "payment_history", entries=entries, next_url=next_url)


def _keyset(value: str) -> tuple[datetime, str] | None:
    if not value:
        return None
    moment, _, entry_id = value.partition("~")
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        raise BadFilter(value=value) from None
    if parsed.tzinfo is None:  # the links Settle makes carry an offset; one without cannot be compared
        raise BadFilter(value=value)
    return parsed, entry_id


@router.get("/billing/invoices/export")
def export(request: Request, user: SignedIn, scope: str = "", format: str = "csv") -> Response:
    """The grid's current filter as a CSV file (or Excel's CSV for the viewer's language), streamed."""
    app = request.app.state
    dialect = ExportDialect.EXCEL if format == "excel" else ExportDialect.CSV
    query = GridFilter.of(request).query()
    with UnitOfWork(app.engine, write=False) as uow:
        view = billing_view(uow, user, scope)
    chunks = export_invoices(
        app.engine,
        app.clock,
        user.id,
        view.current.scope,
        query,
        locale=visitor(request).locale,
        dialect=dialect,
        tz=app.settings.timezone,
    )
    filename = export_filename(today(app.clock, app.settings.timezone), dialect)
    return StreamingResponse(
        (chunk.encode("utf-8") for chunk in chunks),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
