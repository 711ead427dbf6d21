"""The Billing profiles page says what happened to an automatic-payment change: refused with the reason
and its status, done with its notice (it once dropped both: a 200 with no word)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from settle import demo
from settle.uow import UnitOfWork
from tests.web.api.conftest import ADMIN, READER, Api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _signed_in(api: Api, email: str) -> tuple[TestClient, str]:
    browser = TestClient(api.app)
    csrf = CSRF.search(browser.get("/signin").text)
    assert csrf
    form = {"email": email, "password": demo.PASSWORD, "next": "/", "csrf_token": csrf.group(1)}
    assert browser.post("/signin", data=form, follow_redirects=False).status_code == 303
    token = CSRF.search(browser.get("/billing/profiles").text)
    assert token
    return browser, token.group(1)


def _autopay(api: Api) -> bool:
    with UnitOfWork(api.engine, write=False) as uow:
        return uow.profiles.get(demo.CONTOSO_BILLING).autopay


def test_a_refused_autopay_change_says_why_and_a_done_one_says_so(api: Api) -> None:
    before = _autopay(api)
    reader, csrf = _signed_in(api, READER)
    refused = reader.post(f"/billing/profiles/{demo.CONTOSO_BILLING}/autopay", data={"csrf_token": csrf})
    assert refused.status_code in (403, 404) and 'role="alert"' in refused.text
    assert _autopay(api) == before
    owner, csrf = _signed_in(api, ADMIN)
    done = owner.post(f"/billing/profiles/{demo.CONTOSO_BILLING}/autopay", data={"csrf_token": csrf})
    assert done.status_code == 200 and "Automatic payment was changed." in done.text
    assert _autopay(api) != before
