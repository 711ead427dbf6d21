"""The files that download links point at: no API token, no session, only the link's valid, unexpired
signature (settle.documents.links). Outside /providers, as Azure's own download URLs are."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from settle.documents.model import configured_provider
from settle.documents.service import signed_invoice_pdf
from settle.uow import UnitOfWork
from settle.web.api import schemas
from settle.web.api.errors import AzureRoute
from settle.web.api.params import InvoiceName

INVOICE_PDF = "invoice_pdf"


def _error(description: str) -> dict[str, Any]:
    return {"model": schemas.ErrorResponse, "description": description}


_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The PDF, with its ETag; an attachment named after the invoice",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    },
    304: {"description": "If-None-Match named this very document"},
    400: _error("A part of the link is missing"),
    403: _error("InvalidDownloadLink: Settle did not sign this link; DownloadLinkExpired: it is past its time"),
    404: _error("DocumentChanged: the invoice changed since the link was made; or there is no such invoice"),
    "default": _error("Any other error, in the same envelope"),
}
router = APIRouter(route_class=AzureRoute, tags=["Documents"])


@router.get(
    "/downloads/invoices/{invoiceName}.pdf",
    response_class=Response,
    responses=_ANSWERS,
    operation_id="Documents_InvoicePdf",
    name=INVOICE_PDF,
)
def invoice_pdf(
    request: Request,
    number: InvoiceName,
    key: Annotated[str, Query(max_length=100, description="The document's cache key (its ETag)")],
    expires: Annotated[str, Query(max_length=20, description="Unix time the link expires at")],
    signature: Annotated[str, Query(max_length=100)],
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=500)] = None,
) -> Response:
    """The invoice PDF a download URL (from POST …/invoices/{invoiceName}/download) stands for."""
    state = request.app.state
    settings = state.settings
    with UnitOfWork(state.engine, write=False) as uow:
        pdf = signed_invoice_pdf(
            uow,
            state.clock,
            number,
            key=key,
            expires=expires,
            signature=signature,
            secret=settings.secret_key,
            tz=settings.timezone,
            base_url=settings.base_url,
            provider=configured_provider(settings),
        )
    headers = {"ETag": pdf.etag, "Cache-Control": "private, no-cache"}
    if pdf.matches(if_none_match):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
    return Response(pdf.content, media_type="application/pdf", headers=headers)
