"""Invoice lists as Azure asks for them (periodStartDate, periodEndDate, filter, orderBy, top) turned into
Settle's keyset query, and the opaque, signed continuation token that a nextLink carries: it holds the
whole query and the last row seen, so the next page goes on after that row (never OFFSET)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from settle.errors import N_, Invalid
from settle.invoices.model import InvoiceQuery, InvoiceStatus
from settle.web.api.errors import InvalidParameter

DEFAULT_PAGE = 50
MAX_PAGE = 50  # Azure's ceiling for `top`
_S = InvoiceStatus
# Azure's statuses: a partially paid invoice is Due or OverDue, by its due date.
_STATUSES = {
    "due": (frozenset({_S.DUE, _S.PARTIALLY_PAID}), 0),
    "overdue": (frozenset({_S.PAST_DUE, _S.PARTIALLY_PAID}), -1),
    "paid": (frozenset({_S.PAID}), None),
    "void": (frozenset({_S.VOID}), None),
}
_CLAUSE = re.compile(r"^\s*(\w+)\s+(eq|ge|gt|le|lt)\s+('?)([\w:.+-]+)\3\s*$", re.IGNORECASE)
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_ORDER = re.compile(r"^\s*invoiceDate(?:\s+(asc|desc))?\s*$", re.IGNORECASE)


class InvalidFilter(Invalid):
    code = "InvalidFilter"
    message = N_(
        "The filter '{filter}' is not supported. Use status eq 'Due' (or 'OverDue', 'Paid', 'Void') and "
        "comparisons of invoiceDate (eq, ge, gt, le, lt) with a date, joined by and."
    )


def invoice_query(
    *,
    period_start: date | None,
    period_end: date | None,
    filter_text: str | None,
    order_by: str | None,
    top: int | None,
    today: date,
) -> InvoiceQuery:
    """The query of a first page; its billing profiles are filled in by the caller."""
    query = InvoiceQuery(
        billing_profile_ids=frozenset(),
        invoice_date_from=period_start,
        invoice_date_to=period_end,
        limit=top or DEFAULT_PAGE,
        oldest_first=_oldest_first(order_by),
    )
    for clause in _AND.split(filter_text.strip()) if filter_text and filter_text.strip() else []:
        query = _narrow(query, clause, filter_text or "", today)
    return query


def _oldest_first(order_by: str | None) -> bool:
    if order_by is None or not order_by.strip():
        return False
    match = _ORDER.match(order_by)
    if match is None:
        raise InvalidParameter(name="orderBy")
    return (match.group(1) or "asc").lower() == "asc"


def _narrow(query: InvoiceQuery, clause: str, whole: str, today: date) -> InvoiceQuery:
    match = _CLAUSE.match(clause)
    if match is None:
        raise InvalidFilter(filter=whole)
    field, operator, value = match.group(1).lower(), match.group(2).lower(), match.group(4)
    if field == "status" and operator == "eq" and value.lower() in _STATUSES and not query.statuses:
        statuses, due_from_today = _STATUSES[value.lower()]
        if due_from_today == 0:
            return replace(query, statuses=statuses, due_date_from=today)
        if due_from_today == -1:
            return replace(query, statuses=statuses, due_date_to=today - timedelta(days=1))
        return replace(query, statuses=statuses)
    if field == "invoicedate":
        day = _day(value, whole)
        if (operator, day) in (("gt", date.max), ("lt", date.min)):  # no day is after the last or before the first
            return replace(query, invoice_date_from=date.max, invoice_date_to=date.min)
        low = day + timedelta(days=1) if operator == "gt" else day if operator in ("eq", "ge") else None
        high = day - timedelta(days=1) if operator == "lt" else day if operator in ("eq", "le") else None
        if low is not None:
            query = replace(query, invoice_date_from=max(low, query.invoice_date_from or low))
        if high is not None:
            query = replace(query, invoice_date_to=min(high, query.invoice_date_to or high))
        return query
    raise InvalidFilter(filter=whole)


def _day(value: str, whole: str) -> date:
    try:
        return (
            datetime.fromisoformat(value.replace("Z", "+00:00")).date() if "T" in value else date.fromisoformat(value)
        )
    except ValueError:
        raise InvalidFilter(filter=whole) from None


def continuation(query: InvoiceQuery, last: tuple[date, str], scope: str, secret: str) -> str:
    """The token of the page after `last`, for the same query at the same scope (account or profile)."""
    state: dict[str, Any] = {
        "s": sorted(status.value for status in query.statuses),
        "f": _iso(query.invoice_date_from),
        "t": _iso(query.invoice_date_to),
        "df": _iso(query.due_date_from),
        "dt": _iso(query.due_date_to),
        "o": query.oldest_first,
        "n": query.limit,
        "a": [last[0].isoformat(), last[1]],
    }
    payload = _b64(json.dumps(state, separators=(",", ":")).encode())
    return f"{payload}.{_signature(payload, scope, secret)}"


def resume(token: str, scope: str, secret: str) -> InvoiceQuery:
    """The query a continuation token carries; InvalidParameter for one Settle did not give for `scope`."""
    payload, _, signature = token.partition(".")
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, once a 500).
    if not hmac.compare_digest(signature.encode(), _signature(payload, scope, secret).encode()):
        raise InvalidParameter(name="skipToken")
    try:
        state = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return InvoiceQuery(
            billing_profile_ids=frozenset(),
            statuses=frozenset(InvoiceStatus(status) for status in state["s"]),
            invoice_date_from=_day_or_none(state["f"]),
            invoice_date_to=_day_or_none(state["t"]),
            due_date_from=_day_or_none(state["df"]),
            due_date_to=_day_or_none(state["dt"]),
            oldest_first=bool(state["o"]),
            limit=min(max(int(state["n"]), 1), MAX_PAGE),
            after=(date.fromisoformat(state["a"][0]), str(state["a"][1])),
        )
    except (ValueError, KeyError, TypeError, IndexError):
        raise InvalidParameter(name="skipToken") from None


def _signature(payload: str, scope: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), f"invoices:{scope}:{payload}".encode(), hashlib.sha256).digest()
    return _b64(digest[:18])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _day_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text) if text is not None else None
