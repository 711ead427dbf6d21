"""An address the portal has no page for, a method a page does not take, and a failure nothing handled
answer with a page in the portal's frame and the visitor's language, never Starlette's JSON; the API under
/providers keeps Azure's envelope (issue 18 item 7)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.portal.conftest import Portal

NL = {"Accept-Language": "nl"}


def test_an_unknown_address_is_a_page_in_the_visitors_language_not_json(portal: Portal) -> None:
    answer = portal.client.get("/billing/no-such-page", headers=NL)
    assert answer.status_code == 404 and answer.headers["content-type"].startswith("text/html")
    assert '<html lang="nl">' in answer.text and "Deze pagina bestaat niet" in answer.text
    assert '"detail"' not in answer.text and 'href="/"' in answer.text


def test_a_signed_in_user_keeps_the_portal_frame_on_an_unknown_address(portal: Portal) -> None:
    portal.sign_in()
    answer = portal.client.get("/nothing/here")
    assert answer.status_code == 404 and "This page does not exist" in answer.text
    assert portal.world.owner.email in answer.text  # the user menu of the frame
    assert 'href="/billing"' in answer.text


def test_a_method_a_page_does_not_take_is_a_page_with_its_allow_header(portal: Portal) -> None:
    answer = portal.client.put("/signin", headers={"Accept-Language": "da"})
    assert answer.status_code == 405 and "allow" in answer.headers
    assert '<html lang="da">' in answer.text and "Fejl 405" in answer.text


def test_a_refusal_without_a_page_of_its_own_is_a_page(portal: Portal) -> None:
    def refused() -> None:
        from starlette.exceptions import HTTPException

        raise HTTPException(403)

    portal.client.app.add_api_route("/billing/refused", refused)  # type: ignore[attr-defined]
    try:
        answer = portal.client.get("/billing/refused", headers=NL)
    finally:
        portal.client.app.router.routes.pop()  # type: ignore[attr-defined]
    assert answer.status_code == 403 and "U hebt geen toegang tot deze pagina" in answer.text


def test_a_failure_is_a_portal_page_with_the_security_headers(portal: Portal) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals")

    app = portal.client.app
    app.add_api_route("/billing/boom", broken)  # type: ignore[attr-defined]
    try:
        answer = TestClient(app, raise_server_exceptions=False).get("/billing/boom", headers=NL)  # type: ignore[arg-type]
    finally:
        app.router.routes.pop()  # type: ignore[attr-defined]
    assert answer.status_code == 500 and "secret internals" not in answer.text
    assert '<html lang="nl">' in answer.text and "Er is bij ons iets misgegaan" in answer.text
    assert 'href="/static/portal.css' in answer.text  # the portal's frame, not a bare page
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["cache-control"] == "no-store"


def test_the_api_keeps_azures_envelope_for_an_unknown_address(portal: Portal) -> None:
    answer = portal.client.get("/providers/Microsoft.Billing/nothing", params={"api-version": "2024-04-01"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "ResourceNotFound"
