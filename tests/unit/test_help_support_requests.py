"""Support requests: what a request must hold (problem type, contact, subject), its statuses, and replies."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from settle.accounts.model import UnsupportedLocale
from settle.help.model import (
    OPERATOR,
    PROBLEM_TYPE_LABELS,
    About,
    ArticleNotFound,
    Contact,
    ContactMethod,
    DescriptionLength,
    InvalidPhoneNumber,
    MessageLength,
    PhoneNumberMissing,
    ProblemType,
    SubjectLength,
    SupportReply,
    SupportRequest,
    SupportRequestClosed,
    SupportRequestStatus,
    UnknownContactMethod,
    UnknownProblemType,
    problem_type_of,
)
from tests.card_numbers import card_numbers_in

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def _open(**changes: Any) -> SupportRequest:
    fields: dict[str, Any] = {
        "user_id": "u1",
        "problem_type": ProblemType.PAYING,
        "subject": "Cannot pay",
        "description": "The Pay now link is missing.",
        "locale": "en",
        "about": About(),
        "contact": Contact(),
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


def test_a_subject_has_at_most_two_hundred_characters() -> None:
    with pytest.raises(SubjectLength) as raised:
        _open(subject="x" * 201)
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


@pytest.mark.parametrize("problem", list(ProblemType))
def test_each_problem_type_of_the_list_is_accepted_by_its_value(problem: ProblemType) -> None:
    assert problem_type_of(f" {problem.value} ") is problem
    assert _open(problem_type=problem).problem_type is problem


@pytest.mark.parametrize("value", ["", "Paying an invoice", "PAYING", "billing", "other "[:3]])
def test_a_problem_type_not_on_the_list_is_refused(value: str) -> None:
    with pytest.raises(UnknownProblemType):
        problem_type_of(value)


def test_every_problem_type_has_a_label_and_other_comes_last() -> None:
    assert set(PROBLEM_TYPE_LABELS) == set(ProblemType)
    assert list(PROBLEM_TYPE_LABELS)[-1] is ProblemType.OTHER


def test_answered_by_e_mail_a_phone_number_typed_and_left_behind_is_dropped() -> None:
    assert Contact.of("email", "+31 20 123 4567") == Contact(ContactMethod.EMAIL, None)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("+31 20 123 4567", "+31 20 123 4567"),
        ("  +45   12 34\t56 78 ", "+45 12 34 56 78"),
        ("(020) 123-4567", "(020) 123-4567"),
        ("123456", "123456"),
        ("+" + "1" * 20, "+" + "1" * 20),
    ],
)
def test_a_phone_number_is_kept_tidied_as_people_write_it(typed: str, kept: str) -> None:
    assert Contact.of("phone", typed) == Contact(ContactMethod.PHONE, kept)


@pytest.mark.parametrize("typed", [None, "", "   "])
def test_to_be_called_a_phone_number_is_needed(typed: str | None) -> None:
    with pytest.raises(PhoneNumberMissing):
        Contact.of("phone", typed)


@pytest.mark.parametrize(
    "typed",
    ["12345", "1" * 21, "+31 20 CALL ME", "31+20 123 4567", "++31 20 123 4567", "0612345678 ext", "(1) " * 10 + "1"],
)
def test_a_phone_number_has_six_to_twenty_digits_and_a_plus_only_in_front(typed: str) -> None:
    with pytest.raises(InvalidPhoneNumber) as raised:
        Contact.of("phone", typed)
    assert str(raised.value) == "Enter a phone number of 6 to 20 digits, optionally starting with +."


@pytest.mark.parametrize("method", ["", "fax", "EMAIL"])
def test_the_contact_method_is_e_mail_or_phone(method: str) -> None:
    with pytest.raises(UnknownContactMethod):
        Contact.of(method, None)


def test_a_request_keeps_what_it_is_about_and_how_to_answer() -> None:
    about = About("account-1", "profile-1", "G000123456")
    request = _open(about=about, contact=Contact(ContactMethod.PHONE, "+31 20 123 4567"))
    assert (request.billing_account_id, request.billing_profile_id, request.invoice_id) == (
        "account-1",
        "profile-1",
        "G000123456",
    )
    assert request.contact == Contact(ContactMethod.PHONE, "+31 20 123 4567")


def test_without_a_subject_the_description_s_first_line_is_the_subject() -> None:
    assert _open(subject="  ", description="\n\n  My card   is declined\nSecond line").subject == "My card is declined"


def test_a_subject_made_from_a_long_first_line_is_cut_at_a_word() -> None:
    words = "Mijn creditcard wordt steeds geweigerd wanneer ik de factuur van deze maand probeer te betalen, " * 3
    subject = _open(subject="", description=words).subject
    assert subject.endswith("…") and len(subject) <= 81
    assert words.startswith(subject.removesuffix("…")) and words[len(subject) - 1] in " ,"


def test_an_answer_marks_a_request_answered_and_a_follow_up_opens_it_again() -> None:
    answered = _open().answered()
    assert answered.status is SupportRequestStatus.ANSWERED
    assert answered.followed_up().status is SupportRequestStatus.OPEN
    assert answered.closed().status is SupportRequestStatus.CLOSED


def test_a_closed_request_takes_no_answer_and_no_follow_up() -> None:
    closed = _open().closed()
    for step in (closed.answered, closed.followed_up):
        with pytest.raises(SupportRequestClosed):
            step()


def test_a_reply_is_tidied_and_says_who_wrote_it() -> None:
    request = _open()
    answer = SupportReply.new(request, OPERATOR, "\n  Please try again.  \n", NOW)
    follow_up = SupportReply.new(request, "u1", "It still fails.", NOW)
    assert (answer.body, answer.request_id, answer.from_operator) == ("Please try again.", request.id, True)
    assert follow_up.from_operator is False and follow_up.id != answer.id


@pytest.mark.parametrize("body", ["", " \n ", "x" * 5001])
def test_a_reply_has_one_to_five_thousand_characters(body: str) -> None:
    with pytest.raises(MessageLength):
        SupportReply.new(_open(), OPERATOR, body, NOW)
