"""What the e-mail verification tests share: browsers of their own (each a cookie jar), signing up through the
form, and the outbox sent to a real SMTP server, so that a test reads the link where its recipient would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from email.message import EmailMessage
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from settle.clock import FixedClock
from settle.notify.sender import run_mail
from tests.integration.factories import PASSWORD
from tests.integration.notify.smtp_server import Inbox, smtp_server
from tests.web.portal.conftest import CSRF, Portal, make_portal

BASE = "https://billing.example"  # settings.base_url: the only place links in e-mails are made from
LINK = re.compile(re.escape(BASE) + r"/verify-email/([A-Za-z0-9_-]{43})")
SIGN_UP_PASSWORD = "a long password for sign-up"


@dataclass
class Browser:
    """One person's browser on the portal."""

    client: TestClient

    def csrf(self, path: str = "/signin") -> str:
        match = CSRF.search(self.client.get(path).text)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def sign_in(self, email: str, password: str = PASSWORD, *, refused: bool = False) -> None:
        data = {"email": email, "password": password, "next": "/", "csrf_token": self.csrf()}
        answer = self.client.post("/signin", data=data, follow_redirects=False)
        assert (answer.status_code != 303) if refused else (answer.status_code == 303), answer.text

    def sign_up_form(self, email: str, *, company: str = "Startup BV", **fields: str) -> dict[str, str]:
        return {
            "email": email,
            "name": "Nina",
            "password": SIGN_UP_PASSWORD,
            "company": company,
            "currency": "EUR",
            "country": "NL",
            "csrf_token": self.csrf("/signup"),
            **fields,
        }

    def sign_up(self, email: str, *, language: str = "en", **fields: str) -> httpx.Response:
        data = self.sign_up_form(email, **fields)
        return self.client.post("/signup", data=data, headers={"Accept-Language": language}, follow_redirects=False)


@dataclass
class Mail:
    """The portal and the mail server its outbox sends to."""

    portal: Portal
    inbox: Inbox
    smtp_url: str

    def browser(self) -> Browser:
        return Browser(
            TestClient(self.portal.client.app, base_url="https://testserver")
        )  # secure cookies: BASE is https

    def send(self) -> None:
        """One round of the server's mail worker, with the app's own settings (its secret key and base URL)."""
        settings = replace(self.portal.client.app.state.settings, smtp_url=self.smtp_url)  # type: ignore[attr-defined]
        run_mail(self.portal.engine, self.portal.clock, settings)

    def to(self, address: str) -> list[EmailMessage]:
        self.send()
        return self.inbox.to(address)

    def link_to(self, address: str) -> str:
        """The path of the newest verification link e-mailed to the address."""
        messages = [message for message in self.to(address) if LINK.search(text_of(message))]
        assert messages, f"no verification link was e-mailed to {address}"
        match = LINK.search(text_of(messages[-1]))
        assert match
        return f"/verify-email/{match.group(1)}"


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


@contextmanager
def portal_with_mail(engine: Engine, database_url: str, clock: FixedClock, tmp_path: Path) -> Iterator[Mail]:
    """A test's `mail` fixture: `with portal_with_mail(…) as mail: yield mail`."""
    portal = make_portal(engine, database_url, clock, tmp_path, reconcile_every_seconds=0, base_url=BASE)
    with smtp_server() as (inbox, port):
        yield Mail(portal, inbox, f"smtp://127.0.0.1:{port}")
