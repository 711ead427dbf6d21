"""A Processor over HTTP: Settle's server talking to the simulated processor's HTTP face (or any
processor that speaks the same API). Time-outs and 5xx answers mean the outcome is unknown."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from settle.money import Money
from settle.processor import wire
from settle.processor.interface import CardToken, Charge, ProcessorUnavailable, Refund


class HttpProcessor:
    """Implements `Processor`; raises ProcessorUnavailable when it cannot know what happened."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def tokenize(self, number: str, expiry_month: int, expiry_year: int, cvc: str, holder: str) -> CardToken:
        """What the browser does; here for tests and scripts."""
        body = {"number": number, "exp_month": expiry_month, "exp_year": expiry_year, "cvc": cvc, "holder": holder}
        return wire.card_token_from_json(self._send("POST", "/v1/tokens", json=body).json())

    def find_token(self, token: str) -> CardToken | None:
        response = self._send("GET", f"/v1/tokens/{quote(token, safe='')}", absent_ok=True)
        return None if response.status_code == 404 else wire.card_token_from_json(response.json())

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
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.TransportError as error:  # time-outs included: the request may or may not have arrived
            raise ProcessorUnavailable() from error
        if response.status_code >= 500:
            raise ProcessorUnavailable()
        if response.status_code == 404 and absent_ok:
            return response
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = None
            raise wire.error_from_json(body)
        return response
