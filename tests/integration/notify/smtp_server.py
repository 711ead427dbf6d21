"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for the sender's tests."""

from __future__ import annotations

import logging
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "settle", "s3cret/pass"

# aiosmtpd logs every line it receives at DEBUG; the suite's log is scanned for card numbers, and
# what it received is checked here anyway.
logging.getLogger("mail.log").setLevel(logging.INFO)


@dataclass
class Inbox:
    """What the server accepted, and which recipients it refuses (550)."""

    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: ARG002 (aiosmtpd's)
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: ARG002 (aiosmtpd's)
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.received if message["To"] == address]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:  # noqa: ARG001 (aiosmtpd's)
    good = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=good, handled=False)  # not handled: aiosmtpd answers 535 itself


@contextmanager
def smtp_server(*, tls: ssl.SSLContext | None = None, implicit: bool = False) -> Iterator[tuple[Inbox, int]]:
    """A running server and its port. With a `tls` context it asks for a login over TLS: after
    STARTTLS, or from the first byte when `implicit`."""
    inbox = Inbox()
    port = free_port()
    options: dict[str, Any] = {}
    if tls is not None:
        context = tls
        # aiosmtpd counts only STARTTLS as TLS when it decides whether to offer AUTH; with implicit
        # TLS the whole connection is encrypted from the first byte (the client checks the certificate).
        options = {"authenticator": _check_login, "auth_required": True, "auth_require_tls": not implicit}
        if implicit:
            options["ssl_context"] = context
        else:
            options.update(tls_context=context, require_starttls=True)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def self_signed(directory: Path) -> tuple[ssl.SSLContext, Path]:
    """A server TLS context with a certificate for 127.0.0.1 made by openssl, and the certificate
    (for the client to trust)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert
