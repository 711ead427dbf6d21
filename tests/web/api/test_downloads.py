"""Invoice PDFs through the API: Azure's download operation (202, Location, then the URL), and the signed,
short-lived URL that serves the PDF without a token, to the Azure SDK as to any HTTP client."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from azure.core.exceptions import ResourceNotFoundError
from pypdf import PdfReader

from settle import demo
from settle.documents.layout import money
from settle.documents.sources import invoice_document
from settle.money import Money
from settle.payments.service import record_bank_transfer
from settle.uow import UnitOfWork
from tests.web.api.conftest import (
    ADMIN,
    API_VERSION,
    CONTOSO,
    CONTOSO_BILLING,
    DUE_NOW,
    FABRIKAM_ADMIN,
    FABRIKAM_DUE,
    READER,
    Api,
)
from tests.web.api.sdk import client_for


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _cache_key(api: Api, number: str) -> str:
    with UnitOfWork(api.engine, write=False) as uow:
        settings = api.app.state.settings
        return invoice_document(uow, number, tz=settings.timezone, base_url=settings.base_url).cache_key()


def _download_url(api: Api, number: str = DUE_NOW, user: str = ADMIN) -> str:
    """The download operation through the ASGI client, as a client without the SDK goes through it."""
    started = api.post(f"{CONTOSO}/invoices/{number}/download", None, user=user)
    assert started.status_code == 202 and started.headers["Retry-After"] == "1"
    result = api.client.get(started.headers["Location"], headers=api.headers(user))
    assert result.status_code == 200
    url: str = result.json()["url"]
    return url


def _with(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {**dict(parse_qsl(parts.query)), **changes}
    return f"{parts.path}?{urlencode(query)}"


def test_the_sdk_downloads_an_invoice_pdf_through_its_long_running_operation(api: Api, server: str) -> None:
    client = client_for(api, server)
    result = client.invoices.begin_download_by_billing_account(demo.CONTOSO, DUE_NOW).result()
    assert result.url is not None and result.url.startswith(f"{server}/downloads/invoices/{DUE_NOW}.pdf?")
    assert datetime.fromisoformat(str(result.expiry_time)) == api.clock.now() + timedelta(hours=1)
    pdf = httpx.get(result.url)  # no token, no session: the URL is the permission
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["etag"] == f'"{_cache_key(api, DUE_NOW)}"'
    assert pdf.headers["content-disposition"] == f'attachment; filename="{DUE_NOW}.pdf"'
    invoice = api.invoice(DUE_NOW)
    text = _text(pdf.content)
    assert DUE_NOW in text and "Factuur" in text and money(invoice.total, "nl") in text  # the profile's language


def test_a_reader_may_download_but_another_customer_cannot_even_see_the_invoice(api: Api, server: str) -> None:
    assert (
        httpx.get(
            client_for(api, server, READER)
            .invoices.begin_download_by_billing_account(demo.CONTOSO, DUE_NOW)
            .result()
            .url
        ).status_code
        == 200
    )
    with pytest.raises(ResourceNotFoundError) as hidden:
        client_for(api, server, FABRIKAM_ADMIN).invoices.begin_download_by_billing_account(demo.CONTOSO, DUE_NOW)
    assert hidden.value.error is not None and hidden.value.error.code == "InvoiceNotFound"
    mine = api.post(f"{CONTOSO}/invoices/{FABRIKAM_DUE}/download", None)
    assert mine.status_code == 404 and mine.json()["error"]["code"] == "InvoiceNotFound"


def test_a_tampered_link_is_refused_in_the_error_envelope(api: Api) -> None:
    url = _download_url(api)
    assert api.client.get(_with(url)).status_code == 200
    other_key = _cache_key(api, "G000100500")
    signature = dict(parse_qsl(urlsplit(url).query))["signature"]
    for tampered in (
        _with(url, signature=("B" if signature[0] == "A" else "A") + signature[1:]),  # one in 64 began with A
        _with(url, key=other_key),
        _with(url, expires=str(int(api.clock.now().timestamp()) + 86_400)),
        _with(url.replace(DUE_NOW, "G000100500")),
    ):
        refused = api.client.get(tampered, headers={"Accept-Language": "nl"})
        assert refused.status_code == 403, tampered
        assert refused.json()["error"]["code"] == "InvalidDownloadLink"
        assert refused.json()["error"]["message"].startswith("Deze downloadlink")


def test_a_link_expires_after_an_hour(api: Api) -> None:
    url = _download_url(api)
    api.clock.advance(timedelta(minutes=59))
    assert api.client.get(_with(url)).status_code == 200
    api.clock.advance(timedelta(minutes=1))
    expired = api.client.get(_with(url))
    assert expired.status_code == 403 and expired.json()["error"]["code"] == "DownloadLinkExpired"


def test_a_link_stops_serving_once_the_invoice_has_changed(api: Api) -> None:
    url = _download_url(api)
    with UnitOfWork(api.engine) as uow:
        record_bank_transfer(uow, api.clock, invoice_number=DUE_NOW, amount=Money(100, "EUR"))
    changed = api.client.get(_with(url))
    assert changed.status_code == 404 and changed.json()["error"]["code"] == "DocumentChanged"
    fresh = api.client.get(_with(_download_url(api)))
    assert fresh.status_code == 200 and fresh.headers["etag"] == f'"{_cache_key(api, DUE_NOW)}"'


def test_a_client_holding_the_document_gets_not_modified(api: Api) -> None:
    url = _download_url(api)
    first = api.client.get(_with(url))
    again = api.client.get(_with(url), headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"] and not again.content


def test_the_operation_result_is_only_for_the_caller_who_started_it(api: Api) -> None:
    started = api.post(f"{CONTOSO}/invoices/{DUE_NOW}/download", None)
    location = started.headers["Location"]
    other = api.client.get(location, headers=api.headers(READER))
    assert other.status_code == 404 and other.json()["error"]["code"] == "OperationNotFound"
    forged = api.client.get(location.replace(DUE_NOW, "G000100500", 1), headers=api.headers(ADMIN))
    assert forged.status_code == 404 and forged.json()["error"]["code"] == "OperationNotFound"
    api.clock.advance(timedelta(hours=2))
    late = api.client.get(location, headers=api.headers(ADMIN))
    assert late.status_code == 404 and late.json()["error"]["code"] == "OperationNotFound"


def test_a_document_name_other_than_the_invoice_s_is_not_found(api: Api) -> None:
    path = f"{CONTOSO}/invoices/{DUE_NOW}/download"
    answer = api.client.post(
        path, params={"api-version": "2024-04-01", "documentName": "X1"}, headers=api.headers(ADMIN)
    )
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "DocumentNotFound"
    named = api.client.post(
        path, params={"api-version": "2024-04-01", "documentName": DUE_NOW}, headers=api.headers(ADMIN)
    )
    assert named.status_code == 202


def test_links_are_built_from_the_base_url_not_the_host_header(api: Api) -> None:
    """Issue 17 item 13: a forged Host header (or a proxy passing one on) must not choose where the
    client's next request, bearer token and all, goes."""
    base = api.app.state.settings.base_url
    forged = {**api.headers(ADMIN), "Host": "attacker.example"}
    started = api.client.post(
        f"{CONTOSO}/invoices/{DUE_NOW}/download", params={"api-version": API_VERSION}, headers=forged
    )
    assert started.status_code == 202
    location = started.headers["Location"]
    assert location.startswith(f"{base}{CONTOSO}/operationResults/") and "attacker" not in location
    result = api.client.get(location, headers=forged).json()
    assert result["url"].startswith(f"{base}/downloads/invoices/{DUE_NOW}.pdf?") and "attacker" not in result["url"]
    page = api.client.get(
        f"{CONTOSO_BILLING}/invoices", params={"api-version": API_VERSION, "top": 2}, headers=forged
    ).json()
    assert page["nextLink"].startswith(f"{base}{CONTOSO_BILLING}/invoices?")
    lines = api.client.get(
        f"{CONTOSO}/invoices/{DUE_NOW}/transactions", params={"api-version": API_VERSION, "top": 1}, headers=forged
    ).json()
    assert lines["nextLink"].startswith(f"{base}{CONTOSO}/invoices/{DUE_NOW}/transactions?")
