"""A Processor over HTTP: Settle's server talking to the simulated processor's HTTP face (or any
processor that speaks the same API). Time-outs and 5xx answers mean the outcome is unknown."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

from settle.money import Money
from settle.processor import wire
from settle.processor.interface import CardToken, Charge, ProcessorUnavailable, Refund

log = logging.getLogger("settle.processor")


class ProcessorKeyRefused(ProcessorUnavailable):
    """The processor refused Settle's secret key: nothing was done. Payments in flight wait, as for an
    outage, and reconcile finishes them once the key is right."""

    code = "ProcessorKeyRefused"


class HttpProcessor:
    """Implements `Processor`; raises ProcessorUnavailable when it cannot know what happened."""

    def __init__(self, base_url: str, secret_key: str, timeout: float = 10.0) -> None:
        headers = {"Authorization": f"Bearer {secret_key}"}
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers=headers)

    def close(self) -> None:
        self._client.close()

    def tokenize(self, number: str, expiry_month: int, expiry_year: int, cvc: str, holder: str) -> CardToken:
        """What the browser does; here for tests and scripts."""
        body = {"number": number, "exp_month": expiry_month, "exp_year": expiry_year, "cvc": cvc, "holder": holder}
        return wire.card_token_from_json(self._send("POST", "/v1/tokens", json=body).json())

    def find_token(self, token: str) -> CardToken | None:
        response = self._send("GET", f"/v1/tokens/{quote(token, safe='')}", absent_ok=True)
        return None if response.status_code == 404 else wire.card_token_from_json(response.json())

    def attach_token(self, token: str, owner: str) -> CardToken:
        response = self._send("POST", f"/v1/tokens/{quote(token, safe='')}/attach", json={"owner": owner})
        return wire.card_token_from_json(response.json())

    def charge(self, token: str, amount: Money, idempotency_key: str, description: str) -> Charge:
        """Charge the card once per idempotency key: the same key again returns the first charge."""
        body = {"token": token, "amount_minor": amount.minor, "currency": amount.currency, "description": description}
        response = self._send("POST", "/v1/charges", json=body, headers={"Idempotency-Key": idempotency_key})
        return wire.charge_from_json(response.json())

    def find_charge(self, idempotency_key: str) -> Charge | None:
        """The charge made with this key, or None if there was none (then none will appear)."""
        response = self._send("GET", f"/v1/charges/{quote(idempotency_key, safe='')}", absent_ok=True)
        return None if response.status_code == 404 else wire.charge_from_json(response.json())

    def refund(self, charge_reference: str, amount: Money, idempotency_key: str) -> Refund:
        """Give back part or all of a charge, once per idempotency key."""
        body = {"charge_reference": charge_reference, "amount_minor": amount.minor, "currency": amount.currency}
        response = self._send("POST", "/v1/refunds", json=body, headers={"Idempotency-Key": idempotency_key})
        return wire.refund_from_json(response.json())

    def _send(self, method: str, path: str, *, absent_ok: bool = False, **kwargs: Any) -> httpx.Response:
        # A kept-alive connection the server has just closed (or reset) fails at once, before an answer: asked again
        # on a new one. Safe for look-ups and for what carries an Idempotency-Key (the same key is the same
        # charge or refund); not for an attach, which a second time would find the token spent.
        again = method == "GET" or "Idempotency-Key" in kwargs.get("headers", {})
        try:
            try:
                response = self._client.request(method, path, **kwargs)
            except (httpx.NetworkError, httpx.RemoteProtocolError) as error:  # not a time-out: asked at once
                if not again:
                    raise
                log.warning("the processor dropped the connection (%r); asking again: %s %s", error, method, path)
                response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as error:  # time-outs included: the request may or may not have arrived
            log.warning("no answer from the processor (%r): %s %s", error, method, path)
            raise ProcessorUnavailable() from error
        if response.status_code >= 500:
            raise ProcessorUnavailable()
        if response.status_code == 401:
            log.error("the processor at %s refused SETTLE_PROCESSOR_SECRET_KEY", self._client.base_url)
            raise ProcessorKeyRefused()
        if response.status_code == 404 and absent_ok:
            return response
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            raise wire.error_from_json(body)
        return response
