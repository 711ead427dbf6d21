"""Rendered documents as files to hand out: the PDF bytes, their ETag and a file name. Rendering is the slow
part (tens of milliseconds), and the same document always gives the same bytes, so the last few rendered
are kept in memory under their cache key: a download link fetched twice, or a portal row clicked again,
renders once."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from settle.documents.invoice_pdf import render_invoice_pdf
from settle.documents.model import InvoiceDocument, ReceiptDocument
from settle.documents.receipt_pdf import render_receipt_pdf

CACHED_DOCUMENTS = 32  # at ~30 KB a document, a megabyte


@dataclass(frozen=True)
class PdfFile:
    content: bytes
    key: str  # the document's cache key: the same key, the same bytes
    filename: str  # e.g. G000123456.pdf

    @property
    def etag(self) -> str:
        return f'"{self.key}"'

    def matches(self, if_none_match: str | None) -> bool:
        """Whether a conditional request (If-None-Match) already holds these bytes."""
        if not if_none_match:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return self.etag in tags or "*" in tags


class _Rendered:
    """The last CACHED_DOCUMENTS renderings, by cache key; safe to share between the server's threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, bytes] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, render: Callable[[], bytes]) -> bytes:
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key]
        content = render()  # outside the lock: two threads may render the same bytes once each, never wrongly
        with self.lock:
            self.entries[key] = content
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return content


_rendered = _Rendered(CACHED_DOCUMENTS)


def invoice_file(document: InvoiceDocument) -> PdfFile:
    key = document.cache_key()
    return PdfFile(_rendered.get(key, lambda: render_invoice_pdf(document)), key, f"{document.number}.pdf")


def receipt_file(document: ReceiptDocument) -> PdfFile:
    key = document.cache_key()
    return PdfFile(_rendered.get(key, lambda: render_receipt_pdf(document)), key, f"{document.receipt_number}.pdf")
