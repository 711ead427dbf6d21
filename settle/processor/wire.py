"""The JSON shapes the processor's HTTP face speaks, both ways (the app writes them, the client reads them)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from settle.errors import SettleError
from settle.money import Money
from settle.processor.errors import ERRORS_BY_CODE, ProcessorRejected
from settle.processor.interface import CardToken, Charge, ChargeStatus, Refund


def card_token_to_json(token: CardToken) -> dict[str, Any]:
    return asdict(token)


def card_token_from_json(body: dict[str, Any]) -> CardToken:
    return CardToken(**{name: body[name] for name in CardToken.__dataclass_fields__})


def charge_to_json(charge: Charge) -> dict[str, Any]:
    return {
        "reference": charge.reference,
        "idempotency_key": charge.idempotency_key,
        "amount_minor": charge.amount.minor,
        "currency": charge.amount.currency,
        "status": charge.status.value,
        "decline_code": charge.decline_code,
        "challenge_url": charge.challenge_url,
    }


def charge_from_json(body: dict[str, Any]) -> Charge:
    return Charge(
        reference=body["reference"],
        idempotency_key=body["idempotency_key"],
        amount=Money(body["amount_minor"], body["currency"]),
        status=ChargeStatus(body["status"]),
        decline_code=body.get("decline_code"),
        challenge_url=body.get("challenge_url"),
    )


def refund_to_json(refund: Refund) -> dict[str, Any]:
    return {
        "reference": refund.reference,
        "charge_reference": refund.charge_reference,
        "amount_minor": refund.amount.minor,
        "currency": refund.amount.currency,
    }


def refund_from_json(body: dict[str, Any]) -> Refund:
    return Refund(
        reference=body["reference"],
        charge_reference=body["charge_reference"],
        amount=Money(body["amount_minor"], body["currency"]),
    )


def error_to_json(error: SettleError) -> dict[str, Any]:
    params = {name: value for name, value in error.params.items() if isinstance(value, str | int)}
    return {"error": {"code": error.code, "message": str(error), "params": params}}


def error_from_json(body: Any) -> SettleError:
    """The Settle error an error answer stands for: the same class when its code is known."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return ProcessorRejected(reason="no error in the answer")
    known = ERRORS_BY_CODE.get(str(error.get("code")))
    params = error.get("params")
    if known is not None and isinstance(params, dict):
        try:
            return known(**params)
        except (KeyError, ValueError, IndexError):
            pass
    return ProcessorRejected(reason=str(error.get("message", error.get("code"))))
