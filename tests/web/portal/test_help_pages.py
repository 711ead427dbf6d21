"""Help + support in the portal, on SQLite and PostgreSQL: the support request form with every field,
what it refuses (and then writes nothing), the user's requests and each one's page with its
conversation, follow-ups, and the Pay now blade's link to the Payment method FAQ in each language."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest

from settle.access.model import Role, Scope
from settle.help.model import ContactMethod, ProblemType, SupportRequest, SupportRequestStatus
from settle.help.service import SupportRequestForm, answer_support_request, get_article, open_support_request
from settle.invoices.model import Invoice
from settle.uow import UnitOfWork
from tests.integration.access.people import add_person
from tests.integration.factories import PASSWORD, add_invoices, make_invoice, make_world
from tests.web.portal.conftest import CSRF, Portal

NUMBER = re.compile(r"/help/requests/(\d{6}-\d{8})")


def _csrf(portal: Portal, page: str = "/help") -> str:
    match = CSRF.search(portal.client.get(page).text)
    assert match
    return match.group(1)


def _invoice(portal: Portal) -> Invoice:
    invoice = make_invoice(portal.world, portal.clock)
    add_invoices(portal.engine, [invoice])
    return invoice


def _form(portal: Portal, **fields: str) -> dict[str, str]:
    values = {
        "csrf_token": _csrf(portal),
        "problem_type": "paying",
        "description": "I see no Pay now link on my invoice.",
        "billing_account_id": portal.world.account.id,
        "contact_method": "email",
    }
    return {**values, **fields}


def _stored(portal: Portal) -> list[SupportRequest]:
    with UnitOfWork(portal.engine, write=False) as uow:
        return uow.support_requests.latest()


def _opened(portal: Portal, user_id: str | None = None, **fields: str) -> SupportRequest:
    values = {"problem_type": "payment_methods", "description": "My card is declined."}
    with UnitOfWork(portal.engine) as uow:
        user = uow.users.get(user_id or portal.world.owner.id)
        form = SupportRequestForm(**{**values, **fields})  # type: ignore[arg-type]
        return open_support_request(uow, portal.clock, user, form, locale="en")


def test_a_request_with_every_field_is_stored_and_its_page_shows_it(portal: Portal) -> None:
    invoice = _invoice(portal)
    portal.sign_in()
    form = _form(
        portal, problem_type="invoice_content", subject="VAT is wrong", invoice=invoice.id,
        billing_profile_id=portal.world.profile.id, description="The VAT rate should be 9 %.\nPlease correct it.",
        contact_method="phone", contact_phone="+31 20 123 4567", suggested_article="download-invoice",
    )  # fmt: skip
    sent = portal.client.post("/help/requests", data=form, follow_redirects=False)
    assert sent.status_code == 303
    [stored] = _stored(portal)
    assert sent.headers["location"] == f"/help/requests/{stored.id}?sent=1"
    assert (stored.problem_type, stored.subject, stored.invoice_id) == (
        ProblemType.INVOICE_CONTENT,
        "VAT is wrong",
        invoice.id,
    )
    assert (stored.billing_account_id, stored.billing_profile_id) == (portal.world.account.id, portal.world.profile.id)
    assert (stored.contact_method, stored.contact_phone, stored.suggested_article) == (
        ContactMethod.PHONE,
        "+31 20 123 4567",
        "download-invoice",
    )
    page = portal.client.get(sent.headers["location"])
    text = unescape(page.text)
    assert page.status_code == 200 and f"Your support request {stored.id} was sent." in text
    for shown in ("Invoice content or PDF", "VAT is wrong", portal.world.profile.display_name, "+31 20 123 4567"):
        assert shown in text
    assert f'href="/billing/invoices/{invoice.id}"' in page.text
    assert "The VAT rate should be 9 %.\nPlease correct it." in text


def test_the_form_offers_the_problem_types_and_the_billing_profiles_the_user_sees(portal: Portal) -> None:
    portal.sign_in()
    page = portal.client.get("/help/requests/new").text
    select = re.search(r'<select id="problem_type".*?</select>', page, re.S)
    assert select and re.findall(r'<option value="([a-z_]+)"', select.group(0)) == [p.value for p in ProblemType]
    assert f'<option value="{portal.world.profile.id}">{portal.world.profile.display_name}</option>' in page
    assert 'name="csrf_token"' in page and 'name="contact_phone"' in page


def test_an_unknown_invoice_number_is_not_found_in_the_user_s_language_and_nothing_is_written(portal: Portal) -> None:
    portal.sign_in()
    portal.client.cookies.set("settle_locale", "nl")
    answer = portal.client.post("/help/requests", data=_form(portal, invoice="G999999999"))
    assert answer.status_code == 404
    assert "Factuur 'G999999999' is niet gevonden." in unescape(answer.text)
    assert "I see no Pay now link on my invoice." in answer.text  # what was typed is kept
    assert _stored(portal) == []


def test_another_customers_invoice_number_is_refused_exactly_like_an_unknown_one(portal: Portal) -> None:
    theirs = make_invoice(make_world(portal.engine, portal.clock, name="Fabrikam"), portal.clock)
    add_invoices(portal.engine, [theirs])
    portal.sign_in()
    answer = portal.client.post("/help/requests", data=_form(portal, invoice=theirs.id))
    unknown = portal.client.post("/help/requests", data=_form(portal, invoice="G999999999"))
    assert answer.status_code == unknown.status_code == 404
    assert f"Invoice &#39;{theirs.id}&#39; was not found." in answer.text
    assert answer.text.replace(theirs.id, "X") == unknown.text.replace("G999999999", "X")
    assert _stored(portal) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"contact_method": "phone"}, "Enter the phone number we should call you on."),
        ({"contact_method": "phone", "contact_phone": "call me"}, "Enter a phone number of 6 to 20 digits"),
        ({"problem_type": "billing"}, "Choose the type of problem from the list."),
        ({"description": " "}, "The description must have 1 to 5000 characters."),
    ],
)
def test_a_form_that_is_not_right_says_why_and_writes_nothing(
    portal: Portal, fields: dict[str, str], message: str
) -> None:
    portal.sign_in()
    answer = portal.client.post("/help/requests", data=_form(portal, **fields))
    assert answer.status_code == 400 and message in answer.text
    assert _stored(portal) == []


def test_a_form_without_its_csrf_token_is_refused_and_writes_nothing(portal: Portal) -> None:
    portal.sign_in()
    for token in ("", "forged"):
        answer = portal.client.post("/help/requests", data=_form(portal, csrf_token=token))
        assert answer.status_code == 403 and "This form has expired" in answer.text
    assert _stored(portal) == []


def test_the_user_s_requests_are_listed_with_number_problem_type_status_and_date(portal: Portal) -> None:
    mine = _opened(portal, subject="Declined again")
    other = add_person(portal.engine, portal.clock)
    theirs = _opened(portal, other.id, subject="Not mine")
    with UnitOfWork(portal.engine) as uow:
        answer_support_request(uow, portal.clock, mine.id, "Please try another card.")
    portal.sign_in()
    page = portal.client.get("/help").text
    row = re.search(
        rf"<tr>\s*<th[^>]*><a href=\"/help/requests/{mine.id}\?scope=[^\"]*\">{mine.id}</a></th>(.*?)</tr>", page, re.S
    )
    assert row, page
    cells = [
        unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]
    assert cells[:3] == ["Declined again", "Payment methods", "Answered"]
    assert cells[3].startswith("Mar 15, 2026")
    assert theirs.id not in page


def test_another_user_s_request_is_not_found_and_takes_no_follow_up(portal: Portal) -> None:
    other = add_person(portal.engine, portal.clock)
    theirs = _opened(portal, other.id)
    portal.sign_in()
    assert portal.client.get(f"/help/requests/{theirs.id}").status_code == 404
    assert portal.client.get("/help/requests/260315-00000000").status_code == 404
    token = _csrf(portal)
    answer = portal.client.post(f"/help/requests/{theirs.id}/messages", data={"csrf_token": token, "message": "Hi"})
    assert answer.status_code == 404
    with UnitOfWork(portal.engine, write=False) as uow:
        assert uow.support_requests.replies(theirs.id) == []


def test_a_follow_up_joins_the_conversation_and_opens_an_answered_request_again(portal: Portal) -> None:
    opened = _opened(portal)
    with UnitOfWork(portal.engine) as uow:
        answer_support_request(uow, portal.clock, opened.id, "Which card do you use?")
    portal.clock.advance(timedelta(minutes=5))
    portal.sign_in()
    page = portal.client.get(f"/help/requests/{opened.id}")
    assert "Which card do you use?" in page.text and "Support team" in page.text and "Answered" in page.text
    token = _csrf(portal, f"/help/requests/{opened.id}")
    sent = portal.client.post(
        f"/help/requests/{opened.id}/messages",
        data={"csrf_token": token, "message": "A Visa card."},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/help/requests/{opened.id}#message-")
    after = portal.client.get(f"/help/requests/{opened.id}").text
    assert after.index("Which card do you use?") < after.index("A Visa card.")
    assert _stored(portal)[0].status is SupportRequestStatus.OPEN
    refused = portal.client.post(f"/help/requests/{opened.id}/messages", data={"csrf_token": "", "message": "x"})
    assert refused.status_code == 403
    empty = portal.client.post(f"/help/requests/{opened.id}/messages", data={"csrf_token": token, "message": "  "})
    assert empty.status_code == 400 and "The message must have 1 to 5000 characters." in empty.text


def test_a_closed_request_shows_no_follow_up_form_and_refuses_one(portal: Portal) -> None:
    opened = _opened(portal)
    with UnitOfWork(portal.engine) as uow:
        answer_support_request(uow, portal.clock, opened.id, "Solved.", close=True)
    portal.sign_in()
    page = portal.client.get(f"/help/requests/{opened.id}").text
    assert "This request is closed." in page and 'name="message"' not in page
    token = _csrf(portal)
    answer = portal.client.post(f"/help/requests/{opened.id}/messages", data={"csrf_token": token, "message": "Again"})
    assert answer.status_code == 409 and "is already closed" in unescape(answer.text)


def test_a_billing_profile_reader_may_ask_about_their_profile_but_not_another(portal: Portal) -> None:
    scope = Scope(portal.world.account.id, portal.world.profile.id)
    reader = add_person(portal.engine, portal.clock, Role.BILLING_PROFILE_READER, scope)
    other = make_world(portal.engine, portal.clock, name="Fabrikam")
    portal.sign_in(reader.email, PASSWORD)
    refused = portal.client.post("/help/requests", data=_form(portal, billing_profile_id=other.profile.id))
    assert refused.status_code == 404 and _stored(portal) == []
    sent = portal.client.post(
        "/help/requests", data=_form(portal, billing_profile_id=portal.world.profile.id), follow_redirects=False
    )
    assert sent.status_code == 303 and _stored(portal)[0].billing_profile_id == portal.world.profile.id


@pytest.mark.parametrize("language", ["en", "nl", "da"])
def test_the_pay_now_blade_links_the_payment_method_faq_in_the_user_s_language(portal: Portal, language: str) -> None:
    invoice = _invoice(portal)
    portal.sign_in()
    portal.client.cookies.set("settle_locale", language)
    blade = portal.client.get(f"/billing/invoices/{invoice.id}/pay")
    assert blade.status_code == 200
    link = re.search(r'<a href="(/help/articles/payment-method-faq)" id="payment-method-faq">([^<]+)</a>', blade.text)
    assert link, "the blade does not link the Payment method FAQ"
    assert unescape(link.group(2)) == get_article("payment-method-faq", language).title
    article = portal.client.get(link.group(1))
    assert article.status_code == 200 and f'lang="{language}"' in article.text


def test_a_problem_described_to_the_search_carries_into_the_form_with_the_article_shown(portal: Portal) -> None:
    portal.sign_in()
    portal.client.cookies.set("settle_locale", "da")
    page = portal.client.get("/help", params={"q": "betale faktura med kreditkort"})
    assert page.status_code == 200
    suggested = re.search(r'name="suggested_article" value="([a-z-]+)"', page.text)
    assert suggested and suggested.group(1) == "pay-invoice"
    assert "betale faktura med kreditkort</textarea>" in page.text
    assert "Problemtype" in page.text and "Hvordan skal vi kontakte dig?" in page.text
    form = _form(portal, description="betale faktura med kreditkort", suggested_article=suggested.group(1))
    sent = portal.client.post("/help/requests", data=form, follow_redirects=False)
    assert sent.status_code == 303
    [stored] = _stored(portal)
    assert (stored.locale, stored.suggested_article, stored.subject) == (
        "da",
        "pay-invoice",
        "betale faktura med kreditkort",
    )
    shown = unescape(portal.client.get(sent.headers["location"]).text)
    assert f"Din supportanmodning {stored.id} er sendt." in shown and "Betaling af en faktura" in shown
