"""Short-lived signed links to an invoice's PDF: whoever holds the link may fetch that one document, without
signing in, until it expires (as Azure's download operation answers with a storage URL that carries its own
signature). A link is an HMAC of the invoice number, the document's cache key and the expiry time under the
server's secret key: change any of them and the signature no longer matches; and once the invoice changes
(it is paid, say) its document has another key, so an old link stops serving it."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from settle.errors import N_, Forbidden, NotFound

LINK_LIFETIME = timedelta(hours=1)


class InvalidDownloadLink(Forbidden):
    code = "InvalidDownloadLink"
    message = N_("This download link is not valid. Ask for a new one where you found it.")


class DownloadLinkExpired(Forbidden):
    code = "DownloadLinkExpired"
    message = N_("This download link has expired. Ask for a new one where you found it.")


class DocumentChanged(NotFound):
    code = "DocumentChanged"
    message = N_("Invoice '{id}' has changed since this download link was made. Ask for a new link.")


@dataclass(frozen=True)
class SignedLink:
    """The parts of a download link: the route's path names the invoice, its query carries the rest."""

    number: str
    key: str  # the document's cache key, also its ETag
    expires: datetime
    signature: str

    def query(self) -> dict[str, str]:
        return {"expires": str(int(self.expires.timestamp())), "key": self.key, "signature": self.signature}


def sign_invoice_link(secret: str, number: str, key: str, now: datetime) -> SignedLink:
    """A link to the document of invoice `number` with cache key `key`, valid for LINK_LIFETIME from `now`."""
    expires = datetime.fromtimestamp(int((now + LINK_LIFETIME).timestamp()), UTC)
    return SignedLink(number, key, expires, _signature(secret, number, key, int(expires.timestamp())))


def check_invoice_link(secret: str, number: str, key: str, expires: str, signature: str, now: datetime) -> None:
    """InvalidDownloadLink unless Settle signed exactly these parts; DownloadLinkExpired once past its time."""
    if not expires.isdigit() or len(expires) > 12:
        raise InvalidDownloadLink()
    if not hmac.compare_digest(signature.encode(), _signature(secret, number, key, int(expires)).encode()):
        raise InvalidDownloadLink()
    if now.timestamp() >= int(expires):
        raise DownloadLinkExpired()


def _signature(secret: str, number: str, key: str, expires: int) -> str:
    message = f"invoice-pdf\n{number}\n{key}\n{expires}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
