"""Support requests: what a request must hold, and closing it once."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from settle.accounts.model import UnsupportedLocale
from settle.help.model import (
    ArticleNotFound,
    DescriptionLength,
    SubjectLength,
    SupportRequest,
    SupportRequestClosed,
    SupportRequestStatus,
)
from tests.card_numbers import card_numbers_in

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def _open(**changes: Any) -> SupportRequest:
    fields: dict[str, Any] = {
        "user_id": "u1",
        "subject": "Cannot pay",
        "description": "The Pay now link is missing.",
        "locale": "en",
        "billing_account_id": None,
        "suggested_article": "pay-invoice",
        "now": NOW,
    }
    return SupportRequest.open(**{**fields, **changes})


def test_a_new_request_is_open_numbered_by_its_date_and_tidied() -> None:
    request = _open(subject="  Cannot\n pay  ", description="\n Line one\nLine two \n")
    assert request.status is SupportRequestStatus.OPEN and request.created_at == NOW
    assert re.fullmatch(r"260315-\d{8}", request.id)
    assert card_numbers_in(" ".join(_open().id for _ in range(200))) == []
    assert request.subject == "Cannot pay"
    assert request.description == "Line one\nLine two"
    assert _open().id != _open().id


@pytest.mark.parametrize("subject", ["", "   \n", "x" * 201])
def test_a_subject_has_one_to_two_hundred_characters(subject: str) -> None:
    with pytest.raises(SubjectLength) as raised:
        _open(subject=subject)
    assert str(raised.value) == "The subject must have 1 to 200 characters."


def test_a_subject_of_two_hundred_characters_and_a_description_of_five_thousand_are_accepted() -> None:
    request = _open(subject="s" * 200, description="d" * 5000)
    assert len(request.subject) == 200 and len(request.description) == 5000


@pytest.mark.parametrize("description", ["", " \n\t ", "x" * 5001])
def test_a_description_has_one_to_five_thousand_characters(description: str) -> None:
    with pytest.raises(DescriptionLength):
        _open(description=description)


def test_the_language_is_one_settle_speaks() -> None:
    with pytest.raises(UnsupportedLocale):
        _open(locale="de")


def test_the_suggested_article_is_an_article_id() -> None:
    with pytest.raises(ArticleNotFound):
        _open(suggested_article="../../etc/passwd")


def test_a_request_is_closed_once() -> None:
    closed = _open().closed()
    assert closed.status is SupportRequestStatus.CLOSED
    with pytest.raises(SupportRequestClosed):
        closed.closed()
