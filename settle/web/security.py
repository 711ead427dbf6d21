"""Web hardening shared by the portal and the API: security headers on every answer, and CSRF
tokens for every state-changing form."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=(self)",
}


def content_security_policy(processor_origin: str = "") -> str:
    """No inline scripts or styles anywhere (the portal's JavaScript and CSS are files under /static);
    the browser talks to Settle and, for card numbers and 3-D Secure, to the processor only."""
    extra = f" {processor_origin}" if processor_origin else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'{extra}; form-action 'self'{extra}; frame-ancestors 'none'; base-uri 'self'; "
        "object-src 'none'"
    )


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of a URL, or "" for none."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")  # two years, as nginx's
NO_STORE = (b"cache-control", b"no-store")


def security_headers(processor_origin: str = "") -> dict[bytes, bytes]:
    return {b"content-security-policy": content_security_policy(processor_origin).encode(), **HEADERS}


class SecurityHeaders:
    """Adds the headers above, and the content security policy, to every HTTP answer that does not
    set them itself; HSTS to every answer over HTTPS; `Cache-Control: no-store` to every answer to a
    signed-in browser or an API caller (a page may show an API token's secret, an invoice, a card), but
    the static files; and, only when asked for (SETTLE_SERVER_TIMING), a Server-Timing header with the
    time the answer took: it would let anyone time the server's work, enough to tell another tenant's
    existing ids from missing ones."""

    def __init__(self, app: ASGIApp, processor_origin: str = "", server_timing: bool = False) -> None:
        self.app = app
        self.headers = security_headers(processor_origin)
        self.server_timing = server_timing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        private = _is_private(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in self.headers.items() if name not in present]
                if scope.get("scheme") == "https":
                    extra.append(HSTS)
                if private and b"cache-control" not in present:
                    extra.append(NO_STORE)
                if self.server_timing:  # for the portal benchmark and a provider's own profiling
                    spent = (time.perf_counter() - started) * 1000
                    extra.append((b"server-timing", f"app;dur={spent:.2f}".encode()))
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _is_private(scope: Scope) -> bool:
    """Whether the answer is for one person: a session cookie or a bearer token came with the request."""
    if str(scope.get("path", "")).startswith("/static/"):
        return False
    for name, value in scope.get("headers", []):
        if name == b"authorization" or (name == b"cookie" and b"settle_session=" in value):
            return True
    return False


def new_browser_id() -> str:
    """A random id for a browser that has no session yet (its CSRF tokens hang on it)."""
    return secrets.token_urlsafe(24)


def csrf_token(secret_key: str, bound_to: str) -> str:
    """The token a form must send back: an HMAC of the session (or the anonymous browser id), so it
    cannot be guessed by another site and changes with every sign-in."""
    return hmac.new(secret_key.encode(), f"csrf:{bound_to}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, bound_to: str | None, sent: str | None) -> bool:
    if not bound_to or not sent:
        return False
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, once a 500).
    return hmac.compare_digest(csrf_token(secret_key, bound_to).encode(), sent.encode("utf-8", "replace"))
