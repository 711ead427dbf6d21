"""The simulated processor's HTTP face: through the ASGI client, and HttpProcessor against a real server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from settle.clock import FixedClock
from settle.money import Money
from settle.processor.app import create_processor_app
from settle.processor.cards import InvalidCardNumber
from settle.processor.client import HttpProcessor, ProcessorKeyRefused
from settle.processor.errors import RefundExceedsRemaining
from settle.processor.faults import Fault, Faults
from settle.processor.interface import Charge, ChargeStatus, ProcessorUnavailable
from settle.processor.keys import ProcessorKeys
from settle.processor.simulated import SimulatedProcessor

CARD = {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123", "holder": "Jane Doe"}
KEYS = ProcessorKeys("sk_sim_processor-app-tests")
EUR_100 = Money(10000, "EUR")
SHOP = "http://127.0.0.1:8000"  # Settle's base URL: the only place a card holder is sent back to


@pytest.fixture
def client(processor: SimulatedProcessor) -> TestClient:
    """Settle's server, as it calls the processor: with the secret key."""
    return TestClient(create_processor_app(processor, KEYS, SHOP), headers={"Authorization": f"Bearer {KEYS.secret}"})


def _charge(client: TestClient, number: str, key: str = "key-1") -> httpx.Response:
    token = client.post("/v1/tokens", json={**CARD, "number": number}).json()["token"]
    body = {"token": token, "amount_minor": 10000, "currency": "EUR", "description": "INV-1"}
    return client.post("/v1/charges", json=body, headers={"Idempotency-Key": key})


def _challenge_path(charge: dict[str, str]) -> str:
    return urlsplit(charge["challenge_url"]).path.removeprefix("/processor")


def test_the_browser_may_post_a_card_from_any_origin(client: TestClient) -> None:
    preflight = client.options("/v1/tokens", headers={"Origin": "https://portal.example"})
    assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in preflight.headers["access-control-allow-headers"]  # the publishable key
    browser = {"Origin": "https://portal.example", "Authorization": f"Bearer {KEYS.publishable}"}
    response = client.post("/v1/tokens", json=CARD, headers=browser)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "*"
    assert {key: response.json()[key] for key in ("brand", "last4", "funding")} == {
        "brand": "visa",
        "last4": "4242",
        "funding": "credit",
    }
    assert "access-control-allow-origin" not in client.post("/v1/charges", json={}).headers


def test_a_bad_card_is_answered_with_a_coded_error(client: TestClient) -> None:
    response = client.post("/v1/tokens", json={**CARD, "number": "4242 4242 4242 4241"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidCardNumber"
    assert response.json()["error"]["message"] == "The card number is not valid."
    assert client.post("/v1/tokens", json={"number": "4242"}).json()["error"]["code"] == "InvalidInput"


def test_charges_are_made_once_per_key_and_found_by_it(client: TestClient) -> None:
    first = _charge(client, "4242424242424242")
    assert first.status_code == 200 and first.json()["status"] == "succeeded"
    assert client.get("/v1/charges/key-1").json() == first.json()
    assert client.get("/v1/charges/key-2").status_code == 404
    body = {"token": "tok_x", "amount_minor": 1, "currency": "EUR", "description": ""}
    assert client.post("/v1/charges", json=body).status_code == 400  # no Idempotency-Key


def test_refunds_are_limited_to_what_was_charged(client: TestClient) -> None:
    reference = _charge(client, "4242424242424242").json()["reference"]
    body = {"charge_reference": reference, "amount_minor": 6000, "currency": "EUR"}
    assert client.post("/v1/refunds", json=body, headers={"Idempotency-Key": "r-1"}).status_code == 200
    refused = client.post("/v1/refunds", json=body, headers={"Idempotency-Key": "r-2"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "RefundExceedsRemaining")


def test_the_3ds_page_completes_the_charge_and_returns_to_the_shop(client: TestClient) -> None:
    charge = _charge(client, "4000002500003155").json()
    path = _challenge_path(charge)
    assert charge["reference"] not in path
    page = client.get(path, params={"return_url": "http://127.0.0.1:8000/pay/done"})
    assert "3-D Secure" in page.text and 'value="complete"' in page.text and 'value="fail"' in page.text
    form = {"action": "complete", "return_url": "http://127.0.0.1:8000/pay/done"}
    answer = client.post(path, data=form, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "http://127.0.0.1:8000/pay/done")
    assert client.get("/v1/charges/key-1").json()["status"] == "succeeded"
    again = client.post(path, data={"action": "fail"}, follow_redirects=False)
    assert again.status_code == 200 and "confirmed" in again.text


@pytest.mark.parametrize(
    "return_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://127.0.0.1@evil.example/",
        "javascript:x",
        "http://127.0.0.1:8000.evil.example/",
        "http://127.0.0.1:8001/",
        "https://127.0.0.1:8000/",
        "/pay/done",
    ],
)
def test_the_3ds_page_never_redirects_elsewhere(client: TestClient, return_url: str) -> None:
    path = _challenge_path(_charge(client, "4000002500003155").json())
    answer = client.post(path, data={"action": "fail", "return_url": return_url})
    assert answer.status_code == 200 and "not confirmed" in answer.text
    assert client.get("/v1/charges/key-1").json()["decline_code"] == "authentication_failed"


def test_the_3ds_page_of_an_unknown_charge_is_not_found(client: TestClient) -> None:
    assert client.get("/challenge/ch_unknown").status_code == 404
    assert client.post("/challenge/ch_unknown", data={"action": "complete"}).status_code == 404


@contextmanager
def _serving(app: FastAPI, listener: socket.socket) -> Iterator[None]:
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the processor server did not start"
        time.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _eventually(find: Callable[[], Charge | None], seconds: float = 30) -> Charge:
    deadline = time.monotonic() + seconds
    while (found := find()) is None:
        assert time.monotonic() < deadline, "the charge never appeared"
        time.sleep(0.05)
    return found


def test_http_processor_pays_exactly_once_against_a_real_server(processor_url: str, clock: FixedClock) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        processor = SimulatedProcessor(processor_url, clock, challenge_base_url=base_url, faults=Faults())
        remote = HttpProcessor(base_url, KEYS.secret, timeout=30)  # a busy machine answers late, but answers
        impatient = HttpProcessor(base_url, KEYS.secret, timeout=0.5)  # gives up long before a 3 s charge answers
        wrong_key = HttpProcessor(base_url, "sk_sim_not-the-key", timeout=30)
        try:
            with _serving(create_processor_app(processor, KEYS, SHOP), listener):
                with pytest.raises(InvalidCardNumber):
                    remote.tokenize("4242424242424241", 12, 2030, "123", "Jane Doe")
                card = remote.tokenize("4242 4242 4242 4242", 12, 2030, "123", "Jane Doe")
                token = card.token
                assert remote.find_token(token) == card
                assert remote.find_token("tok_unknown") is None
                amount = Money(10000, "EUR")

                processor.faults.add(Fault.ERROR_5XX, Fault.SLOW)
                with pytest.raises(ProcessorUnavailable):
                    remote.charge(token, amount, "key-1", "INV-1")
                assert remote.find_charge("key-1") is None
                processor.faults.slow_seconds = 3.0
                with pytest.raises(ProcessorUnavailable):
                    impatient.charge(token, amount, "key-1", "INV-1")  # timed out; the charge went through
                found = _eventually(lambda: remote.find_charge("key-1"))
                assert found is not None and found.status is ChargeStatus.SUCCEEDED
                assert remote.charge(token, amount, "key-1", "INV-1") == found

                refund = remote.refund(found.reference, Money(2500, "EUR"), "refund-1")
                assert remote.refund(found.reference, Money(2500, "EUR"), "refund-1") == refund
                with pytest.raises(RefundExceedsRemaining):
                    remote.refund(found.reference, amount, "refund-2")

                secure = remote.tokenize("4000002500003155", 1, 2031, "123", "Jane Doe").token
                challenged = remote.charge(secure, amount, "key-3", "INV-3")
                assert challenged.challenge_url and challenged.challenge_url.startswith(f"{base_url}/challenge/chl_")
                assert challenged.reference not in challenged.challenge_url
                assert httpx.post(challenged.challenge_url, data={"action": "complete"}).status_code == 200
                assert remote.find_charge("key-3") == Charge(
                    challenged.reference, "key-3", amount, ChargeStatus.SUCCEEDED
                )
                with pytest.raises(ProcessorKeyRefused):  # nothing done: the payment waits, as for an outage
                    wrong_key.charge(token, amount, "key-4", "INV-4")
                with pytest.raises(ProcessorKeyRefused):
                    wrong_key.find_charge("key-1")
            assert processor.count_charges() == 2
            assert processor.total_charged("EUR") == Money(17500, "EUR")
        finally:
            remote.close()
            impatient.close()
            wrong_key.close()
            processor.close()


def test_a_charge_whose_connection_is_dropped_is_asked_again_with_the_same_key(
    processor_url: str, clock: FixedClock
) -> None:
    """The server closes a kept-alive connection just as a charge goes out on it: HttpProcessor asks again
    on a new one, with the same key, and the card is charged once (not left Pending for reconcile)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        processor = SimulatedProcessor(processor_url, clock, challenge_base_url=base_url)
        token = processor.tokenize("4242424242424242", 12, 2030, "123", "Jane Doe").token
        remote = HttpProcessor(base_url, KEYS.secret, timeout=30)

        def drop_the_first_connection() -> None:
            connection, _ = listener.accept()
            connection.recv(65536)  # the charge arrived, and the connection goes without an answer
            connection.close()

        dropper = threading.Thread(target=drop_the_first_connection)
        dropper.start()
        answers: list[Charge] = []
        paying = threading.Thread(target=lambda: answers.append(remote.charge(token, EUR_100, "key-1", "INV-1")))
        paying.start()
        dropper.join(timeout=30)
        try:
            with _serving(create_processor_app(processor, KEYS, SHOP), listener):  # the second try waits for it
                paying.join(timeout=30)
        finally:
            remote.close()
        assert [answer.status for answer in answers] == [ChargeStatus.SUCCEEDED]
        assert processor.count_charges() == 1
