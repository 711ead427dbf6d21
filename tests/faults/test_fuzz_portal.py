"""Item 5, the portal's forms posted with malformed, oversized and hostile values: every field of every
form in turn (the others valid), as the signed-in owner of the demo's Contoso. A malformed or oversized
value (1 MB, invalid UTF-8, a NUL, a value that is no id, role or date) is refused with 4xx and a
message, and changes nothing; HTML and SQL metacharacters are text: either refused the same way or, in
a free-text field, kept verbatim by the one change the form makes; and no page echoes them unescaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote_from_bytes

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from settle import db, demo
from settle.clock import FixedClock
from settle.schema import metadata
from tests.faults.harness import PrivatePostgres, summarise
from tests.web.api.conftest import ADMIN, DUE_NOW, Api, build_api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SCRIPT = "<script>alert('settle')</script>"
HOSTILE_TEXT = [SCRIPT, '"><img src=x onerror=alert(1)>', "' OR '1'='1' --", "'; DROP TABLE users; --"]
MALFORMED: list[str | bytes] = [  # refused wherever they are sent
    "A" * 1_048_576,  # 1 MB
    b"\xff\xfe\xc3\x28 not utf-8",  # invalid UTF-8, percent-encoded as a browser would send its bytes
    "null\x00byte",
    "bell\x07 and escape\x1b[31m",
]
ODD = ["", "   ", "9" * 400, "-1", "\u202e\u200b\ud7ff"]  # refused, or valid text in that field
# Tables a refused form may still touch: refusals are audited, failed sign-ins counted, sessions seen.
BOOKKEEPING = {"audit_events", "sign_in_failures", "sessions"}


@dataclass(frozen=True)
class Form:
    path: str
    fields: dict[str, str]
    free_text: frozenset[str] = frozenset()  # fields where metacharacters are just text
    changes: frozenset[str] = frozenset()  # the tables a successful post changes


@dataclass
class Tally:
    posts: int = 0
    violations: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def portal(cluster: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The portal on the demo data, on PostgreSQL (which refuses more than SQLite: a NUL, too long a text)."""
    directory = tmp_path_factory.mktemp("portal-fuzz")
    url = cluster.create_database()
    engine = db.create_engine(url)
    api = build_api(engine, url, FixedClock(datetime(2026, 3, 15, 12, 0, tzinfo=UTC)), directory)
    api.client.raise_server_exceptions = False  # a 500 is counted as a violation, and the fuzzing goes on
    token = CSRF.search(api.client.get("/signin").text)
    assert token is not None
    form = {"email": ADMIN, "password": demo.PASSWORD, "next": "/", "csrf_token": token.group(1)}
    assert api.client.post("/signin", data=form, follow_redirects=False).status_code == 303
    yield api
    api.processor.close()
    engine.dispose()


def _forms(api: Api) -> list[Form]:
    card = api.add_card("4242424242424242").id
    other = api.add_card("5555555555554444").id
    fresh = api.processor.tokenize("4242424242424242", 12, 2031, "123", "Card Holder").token
    due = api.invoice(DUE_NOW).amount_due
    with api.engine.connect() as connection:
        assignment = connection.scalar(sa.text("SELECT id FROM role_assignments ORDER BY created_at DESC LIMIT 1"))
    profile = demo.CONTOSO_BILLING
    return [
        Form("/signin", {"email": "nobody@example.com", "password": "wrong password", "next": "/"}),
        Form(
            "/signup",
            {
                "email": "new@example.com",
                "name": "New Person",
                "password": "a long enough password",
                "company": "New Ltd",
                "currency": "EUR",
                "country": "NL",
            },
            free_text=frozenset({"name", "company"}),
            changes=frozenset(  # and the verification link and its e-mail; for a known address, the notice
                {"users", "billing_accounts", "billing_profiles", "invoice_sections", "role_assignments", "outbox"}
                | {"email_verifications", "outbox_messages"}
            ),
        ),
        Form(
            f"/billing/invoices/{DUE_NOW}/pay",
            {
                "payment_method_id": other,
                "card_token": "",
                "amount_minor": str(due.minor - 1),  # the wrong amount: nothing may be paid
                "currency": "EUR",
                "idempotency_key": "fuzz-key",
            },
        ),
        Form("/billing/payment-methods/add", {"profile_id": profile, "card_token": "tok_nothing", "make_default": ""}),
        Form(f"/billing/payment-methods/{card}/default", {"profile_id": "no-such-profile"}),
        Form(f"/billing/payment-methods/{card}/remove", {"profile_id": "no-such-profile"}),
        Form(f"/billing/payment-methods/{card}/replace", {"profile_id": profile, "card_token": "tok_nothing"}),
        Form("/billing/access/add", {"email": "nobody-yet@example.com", "role": "no_such_role"}),
        Form(f"/billing/access/{assignment}x/remove", {}),
        Form(
            "/settings/tokens",
            {"name": "A token", "expires": ""},
            free_text=frozenset({"name"}),
            changes=frozenset({"api_tokens"}),
        ),
        Form("/settings/tokens/no-such-token/revoke", {}),
        Form(
            "/help/requests",
            {"subject": "Help", "description": "My invoice", "billing_account_id": "", "suggested_article": ""},
            free_text=frozenset({"subject", "description"}),
            changes=frozenset({"support_requests", "outbox"}),
        ),
        Form("/language", {"locale": "xx", "next": "/"}),
        Form(f"/billing/profiles/{profile}x/autopay", {"enabled": "on"}),
        Form(f"/invitations/{fresh}", {}),
    ]


def test_every_portal_form_refuses_malformed_and_hostile_values_changes_nothing_and_escapes(portal: Api) -> None:
    tally = Tally()
    for form in _forms(portal):
        for name in [*form.fields, "csrf_token"]:
            for value in [*HOSTILE_TEXT, *MALFORMED, *ODD]:
                _post(portal, form, name, value, tally)
        for value in [*HOSTILE_TEXT, "A" * 10_000, b"\xff\xfe"]:  # the ids in the address itself
            _post(portal, Form(_hostile_path(form.path, value), form.fields), "", "", tally)
    summarise("fuzz-portal", trials=tally.posts, faults=tally.posts, violations=len(tally.violations))
    assert tally.posts > 500
    assert not tally.violations, "\n".join(tally.violations[:15])


def _post(api: Api, form: Form, name: str, value: str | bytes, tally: Tally) -> None:
    """Post the form with one field (or none) changed to `value`, and judge the answer."""
    anonymous = form.path in ("/signin", "/signup")  # a visitor's forms: from a browser of its own
    client = TestClient(api.app, raise_server_exceptions=False) if anonymous else api.client
    before = _snapshot(api.engine)
    csrf = CSRF.search(client.get("/signin" if anonymous else "/settings/tokens").text)
    assert csrf is not None
    fields: dict[str, str | bytes] = {**form.fields, "csrf_token": csrf.group(1)}
    if name:
        fields[name] = value
    body = "&".join(
        f"{key}={quote_from_bytes(v if isinstance(v, bytes) else v.encode('utf-8', 'surrogatepass'))}"
        for key, v in fields.items()
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post(form.path, content=body.encode(), headers=headers, follow_redirects=False)
    tally.posts += 1
    changed = {table for table, rows in _snapshot(api.engine).items() if rows != before.get(table)} - BOOKKEEPING
    label = f"POST {form.path[:60]} {name}={_short(value)} → {response.status_code}"
    may_be_text = value in ODD or (name in form.free_text and value in HOSTILE_TEXT)
    if response.status_code >= 500:
        tally.violations.append(f"{label}: a server error")
    elif response.status_code < 400 and may_be_text:
        if not changed <= form.changes:
            tally.violations.append(f"{label}: changed {sorted(changed)}, beyond {sorted(form.changes)}")
    elif response.status_code < 400 and changed:
        tally.violations.append(f"{label}: not refused, changed {sorted(changed)}")
    elif response.status_code < 400 and value in MALFORMED:
        tally.violations.append(f"{label}: not refused")
    elif response.status_code >= 400 and changed:
        tally.violations.append(f"{label}: refused, yet changed {sorted(changed)}")
    if _unescaped(response):
        tally.violations.append(f"{label}: echoed markup unescaped")
    page = "text/html" in response.headers.get("content-type", "")
    if response.status_code >= 400 and page and not re.search(r'role="alert"|class="[^"]*error|<h1', response.text):
        tally.violations.append(f"{label}: no message")


def _hostile_path(path: str, value: str | bytes) -> str:
    """The form's address with its id (or, for sign-in and language, a last segment) made hostile."""
    raw = value if isinstance(value, bytes) else value.encode()
    parts = path.split("/")
    target = next((i for i in range(len(parts) - 1, 0, -1) if any(c.isdigit() for c in parts[i])), len(parts) - 1)
    parts[target] = quote_from_bytes(raw, safe="")
    return "/".join(parts)


def _unescaped(response: httpx.Response) -> bool:
    return SCRIPT in response.text or "<img src=x onerror" in response.text


def _short(value: str | bytes) -> str:
    return repr(value[:24]) + (f"…({len(value)})" if len(value) > 24 else "")


def _snapshot(engine: Engine) -> dict[str, int]:
    """Each table's rows, as a hash of their contents."""
    found = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            rows = connection.execute(sa.select(table)).all()
            found[table.name] = hash(tuple(sorted(map(repr, rows))))
    return found
