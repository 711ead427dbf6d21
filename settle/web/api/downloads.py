"""Invoice PDFs through the API, in Azure's long-running-operation form: `POST …/invoices/{i}/download`
answers 202 with a Location to poll; the Location answers 200 with `{"url", "expiryTime"}`; the url is a
signed link (settle.documents.links) that serves the PDF to whoever holds it, for an hour, without a token.

The work is done by the time the Location is asked for, so Settle keeps no operation records: the
operation's name is itself signed, and names the invoice, the caller and the moment it was asked for."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from settle.access.model import Scope
from settle.documents.links import LINK_LIFETIME
from settle.documents.model import configured_provider
from settle.documents.service import invoice_download_link
from settle.errors import N_, NotFound
from settle.invoices.service import get_invoice_at
from settle.web.api import schemas
from settle.web.api.auth import ApiCaller, Caller
from settle.web.api.errors import ERROR_RESPONSES, SUPPORTED_API_VERSION, AzureRoute
from settle.web.api.files import INVOICE_PDF
from settle.web.api.params import ACCOUNT, AccountName, InvoiceName
from settle.web.api.serialise import AzureJSON
from settle.web.urls import route_url

RETRY_AFTER_SECONDS = 1  # the result is ready at once; azure-core reads 0 as "no advice" and waits 30 s

router = APIRouter(route_class=AzureRoute, tags=["Invoices"], responses=ERROR_RESPONSES)


class DocumentNotFound(NotFound):
    code = "DocumentNotFound"
    message = N_("Invoice '{invoice}' has no document '{name}'.")


class OperationNotFound(NotFound):
    code = "OperationNotFound"
    message = N_("This operation was not found, or its result has expired. Start it again.")


DocumentName = Annotated[
    str | None, Query(alias="documentName", max_length=200, description="The invoice's document: its number")
]
OperationName = Annotated[str, Path(alias="operationName", max_length=300, description="From the Location header")]
_STARTED: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Started: poll the Location (after Retry-After seconds) for the download URL",
        "headers": {
            "Location": {"schema": {"type": "string"}, "description": "Where the result will be"},
            "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before polling"},
        },
    }
}


@router.post(
    f"{ACCOUNT}/invoices/{{invoiceName}}/download",
    status_code=202,
    response_class=Response,
    responses=_STARTED,
    operation_id="Invoices_DownloadByBillingAccount",
)
def download_invoice(
    request: Request, caller: ApiCaller, account: AccountName, number: InvoiceName, document: DocumentName = None
) -> Response:
    """Ask for a URL to download the invoice's PDF (a long-running operation: 202, then poll the Location)."""
    with caller.reading() as uow:
        invoice = get_invoice_at(uow, caller.user.id, Scope(account), number)
    if document is not None and document != invoice.id:
        raise DocumentNotFound(invoice=invoice.id, name=document)
    operation = _operation_name(caller, account, invoice.id, caller.clock.now())
    location = route_url(
        request,
        "invoice_download_result",
        {"api-version": SUPPORTED_API_VERSION},
        billingAccountName=account,
        operationName=operation,
    )
    headers = {
        "Location": location,
        "Retry-After": str(RETRY_AFTER_SECONDS),
    }
    return Response(status_code=202, headers=headers)


@router.get(
    f"{ACCOUNT}/operationResults/{{operationName}}",
    response_model=schemas.DocumentDownloadResult,
    operation_id="Invoices_DownloadOperationResult",
    name="invoice_download_result",
)
def download_result(
    request: Request, caller: ApiCaller, account: AccountName, operation_name: OperationName
) -> AzureJSON:
    """The outcome of a download: a signed URL to the PDF as it is now, and when that URL expires."""
    number = _operation_invoice(caller, account, operation_name)
    settings = caller.settings
    with caller.reading() as uow:
        link = invoice_download_link(
            uow,
            caller.clock,
            caller.user.id,
            Scope(account),
            number,
            secret=settings.secret_key,
            tz=settings.timezone,
            base_url=settings.base_url,
            provider=configured_provider(settings),
        )
    url = route_url(request, INVOICE_PDF, link.query(), invoiceName=link.number)
    return AzureJSON(schemas.DocumentDownloadResult(url=url, expiry_time=link.expires))


def _operation_name(caller: Caller, account: str, number: str, now: datetime) -> str:
    """`<invoice>.<unix time>.<signature>`: only this caller, at this account, can ask for its result."""
    started = str(int(now.timestamp()))
    return f"{number}.{started}.{_signature(caller, account, number, started)}"


def _operation_invoice(caller: Caller, account: str, name: str) -> str:
    """The invoice a download operation is about; OperationNotFound for a name Settle did not give this
    caller at this account, or one older than the links it gives."""
    number, _, rest = name.partition(".")
    started, _, signature = rest.partition(".")
    if not started.isdigit() or len(started) > 12:
        raise OperationNotFound()
    if not hmac.compare_digest(signature.encode(), _signature(caller, account, number, started).encode()):
        raise OperationNotFound()
    if caller.clock.now().timestamp() - int(started) > LINK_LIFETIME.total_seconds():
        raise OperationNotFound()
    return number


def _signature(caller: Caller, account: str, number: str, started: str) -> str:
    message = f"invoice-download\n{account}\n{caller.user.id}\n{number}\n{started}".encode()
    digest = hmac.new(caller.settings.secret_key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")
