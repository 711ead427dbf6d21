"""Asking for a reset link and using it as a person would, through the portal, with the link read out of the
e-mail that arrives at a real SMTP server (the outbox's own sender, as the server and `settle outbox send` run it)."""

from __future__ import annotations

import re
from dataclasses import replace
from email.message import EmailMessage

import httpx
from fastapi.testclient import TestClient

from settle.config import Settings
from settle.notify.sender import run_mail
from settle.uow import UnitOfWork
from tests.integration.notify.smtp_server import Inbox
from tests.web.portal.conftest import CSRF, Portal

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"(https?://[^/\s\"]+)/reset-password/([A-Za-z0-9_-]{43})")


def settings_of(portal: Portal) -> Settings:
    settings: Settings = portal.client.app.state.settings  # type: ignore[attr-defined]
    return settings


def send_mail(portal: Portal, smtp_url: str) -> None:
    """One round of the mail worker, as the server's background loop and `settle outbox send` run it."""
    run_mail(portal.engine, portal.clock, replace(settings_of(portal), smtp_url=smtp_url))


def csrf_of(client: TestClient, path: str) -> str:
    match = CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def ask(client: TestClient, email: str, **headers: str) -> httpx.Response:
    data = {"email": email, "csrf_token": csrf_of(client, "/forgot-password")}
    return client.post("/forgot-password", data=data, headers=headers)


def texts(message: EmailMessage) -> tuple[str, str]:
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())  # type: ignore[attr-defined]


def secret_in(message: EmailMessage) -> str:
    plain, _html = texts(message)
    found = LINK.search(plain)
    assert found, plain
    return found.group(2)


def link_for(portal: Portal, inbox: Inbox, smtp_url: str, email: str) -> str:
    """Ask for a link as the user would, and read its secret out of the e-mail that arrives."""
    assert ask(portal.client, email).status_code == 200
    send_mail(portal, smtp_url)
    return secret_in(inbox.to(email)[-1])


def choose(client: TestClient, secret: str, password: str, again: str | None = None, **extra: str) -> httpx.Response:
    token = csrf_of(client, f"/reset-password/{secret}")
    data = {"password": password, "again": password if again is None else again, "csrf_token": token, **extra}
    return client.post(f"/reset-password/{secret}", data=data, follow_redirects=False)


def signs_in(portal: Portal, email: str, password: str) -> bool:
    client = TestClient(portal.client.app, client=("10.9.9.9", 50000))  # a browser of its own
    data = {"email": email, "password": password, "next": "/", "csrf_token": csrf_of(client, "/signin")}
    answer = client.post("/signin", data=data, follow_redirects=False)
    assert answer.status_code in (303, 400), answer.text
    return answer.status_code == 303


def audit(portal: Portal, action: str) -> list[tuple[str, dict[str, str] | None]]:
    with UnitOfWork(portal.engine, write=False) as uow:
        return [(event.outcome, event.details) for event in uow.audit.list(limit=1000) if event.action == action]
