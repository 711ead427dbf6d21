"""Sign-up tells nobody which addresses have a user here: a known address gets the same answer as a new one
(status, headers, page; the time the password hashing takes), nothing is made for it, and its owner is
e-mailed instead, in their language, through the outbox and a real SMTP server."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from settle.accounts import passwords
from settle.clock import FixedClock
from settle.config import Settings
from settle.uow import UnitOfWork
from tests.configured import settings_for_tests
from tests.integration.factories import PASSWORD, make_world
from tests.web.portal.conftest import CSRF
from tests.web.portal.verifying import LINK, Mail, portal_with_mail, text_of

VARYING = {"set-cookie", "date", "x-request-id", "server-timing"}


@pytest.fixture
def mail(engine: Engine, database_url: str, clock: FixedClock, tmp_path: Path) -> Iterator[Mail]:
    with portal_with_mail(engine, database_url, clock, tmp_path) as made:
        yield made


def _answer(response: httpx.Response, email: str = "") -> tuple[int, dict[str, str], str]:
    """What a visitor can compare of two answers: the status, the headers but those that differ for every
    answer, and the page without its CSRF token (and the address typed, which it repeats)."""
    headers = {name: value for name, value in response.headers.items() if name.lower() not in VARYING}
    page = CSRF.sub('name="csrf_token" value=""', response.text)
    return response.status_code, headers, page.replace(email, "{email}") if email else page


def _counts(mail: Mail) -> tuple[int, int]:
    with UnitOfWork(mail.portal.engine, write=False) as uow:
        return len(uow.users.list()), len(uow.accounts.list())


def test_a_known_address_gets_the_same_answer_as_a_new_one_and_nothing_is_made(mail: Mail) -> None:
    known = mail.portal.world.owner.email
    new = known.replace("owner", "fresh")  # as long as the known one: the same Content-Length
    before = _counts(mail)
    new_answer = mail.browser().sign_up(new)
    after_new = _counts(mail)
    known_answer = mail.browser().sign_up(known, company="Takeover BV")

    assert _answer(new_answer, new) == _answer(known_answer, known)
    assert new in new_answer.text and known in known_answer.text
    assert new_answer.status_code == 200 and "Check your inbox: we sent a message to" in new_answer.text
    assert "settle_session" not in new_answer.headers.get("set-cookie", "")
    assert after_new == (before[0] + 1, before[1] + 1) and _counts(mail) == after_new
    with UnitOfWork(mail.portal.engine, write=False) as uow:
        assert uow.accounts.find_by_name("Takeover BV") is None
    mail.browser().sign_in(known, PASSWORD)  # the owner's password is the one it was
    mail.browser().sign_in(known, "a long password for sign-up", refused=True)


def test_the_answer_says_where_the_message_went_in_the_typed_case_and_shape(mail: Mail) -> None:
    known = mail.portal.world.owner.email
    fresh = known.replace("owner", "fresh")
    new, taken = (mail.browser().sign_up(typed) for typed in (f" {fresh.title()} ", f" {known.upper()} "))
    assert _answer(new, fresh) == _answer(taken, known)
    assert fresh in new.text and known in taken.text


def test_the_owner_of_a_known_address_is_e_mailed_in_their_language_once_a_day(mail: Mail) -> None:
    with UnitOfWork(mail.portal.engine) as uow:
        owner = uow.users.get_by_email(mail.portal.world.owner.email)
        uow.users.update(replace(owner, locale="da"))
    for _ in range(3):
        assert mail.browser().sign_up(owner.email, language="en").status_code == 200

    [notice] = mail.to(owner.email)
    text = text_of(notice)
    assert (
        notice["Content-Language"] == "da"
        and notice["Subject"] == "Nogen har forsøgt at tilmelde sig med din mailadresse"
    )
    assert "Glemt adgangskode" in text and "https://billing.example/signin" in text
    assert not LINK.search(text) and "a long password for sign-up" not in notice.as_string()


def test_a_new_addresss_mail_is_the_verification_link_not_the_notice(mail: Mail) -> None:
    mail.browser().sign_up("brand-new@startup.example", language="da")
    [message] = mail.to("brand-new@startup.example")
    assert message["Subject"] == "Bekræft din mailadresse hos Settle Billing B.V." and LINK.search(text_of(message))


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("password", "too short", "at least 12 characters"),
        ("country", "Denmark", "is not a country code"),
        ("company", "", "Give the name of your company"),
        ("currency", "EURO", "is not an ISO 4217 currency code"),
    ],
)
def test_a_wrong_form_is_refused_alike_for_a_new_and_a_known_address(
    mail: Mail, field: str, value: str, says: str
) -> None:
    new = mail.browser().sign_up("other-new@startup.example", **{field: value})
    known = mail.browser().sign_up(mail.portal.world.owner.email, **{field: value})
    assert new.status_code == known.status_code == 400
    assert says in new.text and says in known.text
    strip = re.compile(r'name="(csrf_token|email)" (type="email" autocomplete="username" required )?value="[^"]*"')
    assert strip.sub("", new.text) == strip.sub("", known.text)
    assert mail.to(mail.portal.world.owner.email) == []


@pytest.fixture
def costly_hashing(mail: Mail) -> Iterator[Settings]:  # noqa: ARG001 (after the app is built: building it configures)
    """Argon2id at a cost that takes tens of milliseconds (the suite's is nearly free), put back afterwards."""
    costly = settings_for_tests(password_time_cost=3, password_memory_kib=32768, password_parallelism=1)
    passwords.configure(costly)
    yield costly
    passwords.configure(settings_for_tests())


@pytest.mark.usefixtures("costly_hashing")
def test_a_known_address_costs_the_same_password_hashing_as_a_new_one(mail: Mail) -> None:
    """Without the hash on the known address's path its answer came in a fraction of the time: the timing
    told what the page did not."""
    known = make_world(mail.portal.engine, mail.portal.clock, name="Timing").owner.email

    def seconds(email: str) -> float:
        browser = mail.browser()
        form = browser.sign_up_form(email)
        started = time.perf_counter()
        assert browser.client.post("/signup", data=form).status_code == 200
        return time.perf_counter() - started

    new = statistics.median(seconds(f"timing-{n}@startup.example") for n in range(5))
    taken = statistics.median(seconds(known) for _ in range(5))
    assert taken > 0.6 * new, f"a known address answered in {taken:.3f} s, a new one in {new:.3f} s"
