"""Sending through an SMTP server named by a URL (SETTLE_SMTP_URL):

- `smtp://host:25`: plain SMTP (a relay on the same host or network);
- `smtp://user:password@host:587?starttls=1`: STARTTLS, then authentication;
- `smtps://user:password@host:465`: TLS from the first byte (implicit TLS), then authentication.

User and password are percent-encoded in the URL (`@` is `%40`). `?timeout=SECONDS` (default 30)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from settle.errors import N_, Invalid

DEFAULT_PORTS = {("smtp", False): 25, ("smtp", True): 587, ("smtps", False): 465, ("smtps", True): 465}
YES = {"1", "true", "yes", "on"}


class InvalidSmtpUrl(Invalid):
    code = "InvalidSmtpUrl"
    message = N_("The SMTP URL is not valid: {reason}")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    implicit_tls: bool = False
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise InvalidSmtpUrl(reason="it must start with smtp:// or smtps://")
        if not parts.hostname:
            raise InvalidSmtpUrl(reason="it names no host")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        starttls = query.get("starttls", "").lower() in YES
        try:
            port = parts.port or DEFAULT_PORTS[(parts.scheme, starttls)]
            timeout = float(query.get("timeout", cls.timeout))
        except ValueError as error:
            raise InvalidSmtpUrl(reason=str(error)) from None
        return cls(
            host=parts.hostname,
            port=port,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            starttls=starttls and parts.scheme == "smtp",
            implicit_tls=parts.scheme == "smtps",
            timeout=timeout,
        )


class SmtpMailer:
    """One SMTP session for a batch of messages, opened at the first message and closed at the end."""

    def __init__(self, settings: SmtpSettings, tls: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.tls = tls or ssl.create_default_context()
        self._session: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Hand the message over; returns once the server has accepted it for every recipient."""
        session = self._session or self._connect()
        try:
            refused = session.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self._session = None  # the next message starts a new session
            raise
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        session: smtplib.SMTP
        if settings.implicit_tls:
            session = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=self.tls)
        else:
            session = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        try:
            session.ehlo()
            if settings.starttls:
                session.starttls(context=self.tls)
                session.ehlo()
            if settings.username:
                session.login(settings.username, settings.password or "")
        except BaseException:
            session.close()
            raise
        self._session = session
        return session

    def close(self) -> None:
        if self._session is not None:
            try:
                self._session.quit()
            except (smtplib.SMTPException, OSError):
                self._session.close()
            self._session = None


def is_permanent(error: Exception) -> bool:
    """A refusal of this message for good (5xx about its sender, recipients or content), as opposed
    to a server that is down, busy or wrongly configured, which sending again later may cure."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return False
