"""Issue 17 item 10: sign-up and `settle users add` refuse common and guessable passwords, with the
reason in the visitor's language, and create nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from settle.uow import UnitOfWork
from tests.web.portal.conftest import Portal

REASONS = {
    "en": "This password is too easy to guess",
    "nl": "Dit wachtwoord is te gemakkelijk te raden",
    "da": "Denne adgangskode er for let at gætte",
}


def _sign_up(portal: Portal, password: str, locale: str = "en", email: str = "new@startup.example"):  # type: ignore[no-untyped-def]
    portal.client.cookies.set("settle_locale", locale, domain="testserver.local")
    data = {
        "email": email,
        "name": "Nina Jansen",
        "password": password,
        "company": "Startup BV",
        "currency": "EUR",
        "country": "NL",
        "csrf_token": portal.csrf("/signup"),
    }
    return portal.client.post("/signup", data=data, follow_redirects=False)


@pytest.mark.parametrize("locale", ["en", "nl", "da"])
@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaa",  # one character repeated
        "123456789012",  # a sequence
        "password1234",  # the commonest password with digits
        "qwertyuiop12",  # a keyboard walk
        "wachtwoord12",  # Dutch for password
        "adgangskode1",  # Danish for password
        "nina@startup.example",  # the address typed beside it
        "startupbv1234",  # the company with digits
        "NinaJansen2026",  # the name and a year
    ],
)
def test_a_guessable_password_is_refused_with_the_reason_and_nothing_is_made(
    portal: Portal, password: str, locale: str
) -> None:
    answer = _sign_up(portal, password, locale, email="nina@startup.example")
    assert answer.status_code == 400
    assert REASONS[locale] in answer.text
    with UnitOfWork(portal.engine, write=False) as uow:
        assert uow.users.find_by_email("nina@startup.example") is None
        assert uow.accounts.find_by_name("Startup BV") is None


def test_a_long_unrelated_password_is_taken(portal: Portal) -> None:
    answer = _sign_up(portal, "violet kettle on the moor")
    assert answer.status_code in (200, 303)
    with UnitOfWork(portal.engine, write=False) as uow:
        assert uow.users.find_by_email("new@startup.example") is not None


def test_a_very_long_password_is_checked_quickly_and_taken(portal: Portal) -> None:
    """zxcvbn's work grows with the length; only the first characters are weighed."""
    answer = _sign_up(portal, "violet kettle on the moor " * 200)
    assert answer.status_code in (200, 303)


def test_settle_users_add_refuses_a_guessable_password(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SETTLE_")}
    env |= {"SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'settle.db'}", "SETTLE_SECRET_KEY": "cli-passwords"}
    run = [sys.executable, "-m", "settle.cli"]
    assert subprocess.run([*run, "db", "upgrade"], env=env, capture_output=True, timeout=120).returncode == 0
    added = subprocess.run(
        [*run, "users", "add", "ops@provider.example", "--name", "Ops", "--password", "password1234"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 1 and REASONS["en"] in added.stderr and "Traceback" not in added.stderr
    listed = subprocess.run([*run, "users", "list"], env=env, capture_output=True, text=True, timeout=120)
    assert "ops@provider.example" not in listed.stdout
