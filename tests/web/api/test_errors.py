"""Every API error answers in Azure's envelope, with a stable code, a localised message and the right
status: no token 401, api-version 400, bad input 400 (never 500), unseen 404, seen but not allowed 403."""

from __future__ import annotations

from datetime import timedelta

import pytest

from settle import demo
from settle.access.api_tokens import create_api_token, list_api_tokens, revoke_api_token
from settle.uow import UnitOfWork
from tests.web.api.conftest import ACCOUNTS, ADMIN, API_VERSION, CONTOSO, CONTOSO_BILLING, FABRIKAM, READER, Api


def _error(response: object) -> tuple[int, str, str]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) >= {"code", "message"}
    return response.status_code, body["error"]["code"], body["error"]["message"]  # type: ignore[attr-defined]


def test_a_request_without_a_token_is_401_with_www_authenticate(api: Api) -> None:
    response = api.get(ACCOUNTS, user=None)
    assert _error(response)[:2] == (401, "AuthenticationFailed")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["stl_" + "x" * 40, "not-a-token", "Basic dXNlcjpwYXNz"])
def test_an_unknown_token_is_401(api: Api, token: str) -> None:
    response = api.client.get(
        ACCOUNTS, params={"api-version": API_VERSION}, headers={"Authorization": f"Bearer {token}"}
    )
    assert _error(response)[:2] == (401, "InvalidAuthenticationToken")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_no_longer_opens_the_api(api: Api) -> None:
    assert api.get(ACCOUNTS).status_code == 200
    with UnitOfWork(api.engine) as uow:
        token = list_api_tokens(uow, api.user_id(ADMIN))[0]
        revoke_api_token(uow, api.clock, api.user_id(ADMIN), token.id)
    assert _error(api.get(ACCOUNTS))[:2] == (401, "InvalidAuthenticationToken")


def test_an_expired_token_is_401(api: Api) -> None:
    api.clock.advance(timedelta(days=1))
    with UnitOfWork(api.engine) as uow:
        secret, _ = create_api_token(uow, api.clock, api.user_id(ADMIN), "short", api.clock.now() + timedelta(hours=1))
    api.tokens["short"] = secret
    assert api.get(ACCOUNTS, user="short").status_code == 200
    api.clock.advance(timedelta(hours=2))
    assert _error(api.get(ACCOUNTS, user="short"))[:2] == (401, "InvalidAuthenticationToken")


def test_a_missing_api_version_is_400_missing_api_version_parameter(api: Api) -> None:
    response = api.client.get(ACCOUNTS, headers=api.headers(ADMIN))
    status, code, message = _error(response)
    assert (status, code) == (400, "MissingApiVersionParameter") and API_VERSION in message


@pytest.mark.parametrize("version", ["2019-10-01-preview", "2024-04-02", ""])
def test_another_api_version_is_400_invalid_api_version_parameter(api: Api, version: str) -> None:
    response = api.client.get(ACCOUNTS, params={"api-version": version}, headers=api.headers(ADMIN))
    status, code, message = _error(response)
    assert (status, code) == (400, "InvalidApiVersionParameter") and API_VERSION in message


def test_the_message_is_in_the_language_of_accept_language(api: Api) -> None:
    path = f"{FABRIKAM}?api-version={API_VERSION}"
    for language, text in [("nl-NL,nl;q=0.9", "is niet gevonden"), ("da", "blev ikke fundet"), ("fr", "was not found")]:
        response = api.client.get(path, headers=api.headers(ADMIN, **{"Accept-Language": language}))
        status, code, message = _error(response)
        assert (status, code) == (404, "BillingAccountNotFound")
        assert text in message and demo.FABRIKAM in message


def test_another_customers_account_is_404_exactly_like_one_that_does_not_exist(api: Api) -> None:
    theirs = _error(api.get(FABRIKAM))
    absent = _error(api.get(f"{ACCOUNTS}/abcdefab-cdef-abcd-efab-cdefabcdefab"))
    assert theirs[:2] == absent[:2] == (404, "BillingAccountNotFound")
    profile = f"{FABRIKAM}/billingProfiles/{demo.FABRIKAM_BILLING}"
    assert _error(api.get(profile))[:2] == (404, "BillingAccountNotFound")
    assert _error(api.get(f"{profile}/invoices"))[:2] == (404, "BillingAccountNotFound")


def test_a_scope_seen_without_the_permission_is_403_naming_it(api: Api) -> None:
    status, code, message = _error(api.get(f"{CONTOSO}/billingRoleAssignments", user=READER))
    assert (status, code) == (403, "AuthorizationFailed") and "manage_roles" in message


def test_malformed_json_is_400_not_500(api: Api) -> None:
    response = api.client.post(
        f"{CONTOSO}/checkAccess",
        params={"api-version": API_VERSION},
        content=b'{"actions": [',
        headers=api.headers(ADMIN, **{"Content-Type": "application/json"}),
    )
    assert _error(response)[:2] == (400, "InvalidRequestContent")


def test_a_body_nested_too_deep_to_read_is_400_not_500(api: Api) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for path in (f"{CONTOSO}/checkAccess", f"{CONTOSO}/invoices/G000100023/pay"):
        response = api.client.post(
            path,
            params={"api-version": API_VERSION},
            content=deep,
            headers=api.headers(ADMIN, **{"Content-Type": "application/json", "Idempotency-Key": "deep"}),
        )
        assert _error(response)[:2] == (400, "InvalidRequestContent")


def test_a_nul_in_an_id_is_answered_in_the_envelope_never_500(api: Api) -> None:
    """Found by tests/faults: PostgreSQL refuses text with a NUL (psycopg's DataError was a 500)."""
    for path in (f"{CONTOSO}/invoices/G0001%00", f"{ACCOUNTS}/a%00b", f"{CONTOSO_BILLING}/paymentMethodLinks/x%00"):
        status, code, _ = _error(api.get(path))
        assert status == 404 or (status, code) == (400, "InvalidValue"), (path, status, code)


@pytest.mark.parametrize("value", ["1E+999999999", "1E-999999999", "1E+4400"])
def test_a_pay_amount_beyond_any_money_is_400_not_500(api: Api, value: str) -> None:
    """Found by tests/faults: an exponent out of Decimal's range, or past Python's int-to-text limit."""
    body = f'{{"paymentMethodId": "x", "amount": {{"currency": "EUR", "value": {value}}}}}'
    response = api.client.post(
        f"{CONTOSO}/invoices/G000100023/pay",
        params={"api-version": API_VERSION},
        content=body.encode(),
        headers=api.headers(ADMIN, **{"Content-Type": "application/json", "Idempotency-Key": f"huge-{value}"}),
    )
    assert _error(response)[:2] == (400, "InvalidAmount")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        (f"{CONTOSO}/invoices", {"top": "0"}),
        (f"{CONTOSO}/invoices", {"top": "many"}),
        (f"{CONTOSO}/invoices", {"periodStartDate": "03-01-2026"}),
        (f"{CONTOSO}/invoices", {"orderBy": "amountDue"}),
        (f"{CONTOSO}/invoices", {"skipToken": "forged.token"}),
        (f"{CONTOSO}/invoices", {"skipToken": "e30.sïgnature"}),  # non-ASCII: found by the fuzzer, once a 500
        (f"{CONTOSO_BILLING}/invoices", {"filter": "amountDue gt 5"}),
        (f"{CONTOSO_BILLING}/invoices", {"filter": "status eq 'Due' or status eq 'Paid'"}),
    ],
)
def test_an_invalid_parameter_is_400_with_a_stable_code(api: Api, path: str, params: dict[str, str]) -> None:
    status, code, _ = _error(api.get(path, **params))
    assert status == 400 and code in {"InvalidParameter", "InvalidFilter"}


def test_an_invalid_body_is_400_naming_the_field(api: Api) -> None:
    status, code, message = _error(api.post(f"{CONTOSO}/checkAccess", {"actions": "read"}))
    assert (status, code) == (400, "InvalidParameter") and "actions" in message


def test_an_unknown_api_path_is_404_in_the_envelope_and_other_paths_keep_their_own_404(api: Api) -> None:
    assert _error(api.get("/providers/Microsoft.Billing/nothingHere"))[:2] == (404, "ResourceNotFound")
    page = api.client.get("/no-such-page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")  # the portal's page
    assert '{"error"' not in page.text


def test_a_method_the_path_does_not_have_is_405_in_the_envelope(api: Api) -> None:
    response = api.client.put(f"{CONTOSO}?api-version={API_VERSION}", headers=api.headers(ADMIN))
    assert _error(response)[:2] == (405, "MethodNotAllowed")
