"""Help articles: front matter, the checks made when they load, and their HTML with portal links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settle.accounts.model import LOCALES
from settle.help.articles import ArticleError, Library, library, load_articles, parse_article
from settle.help.model import LINK_TARGETS, Article, ArticleNotFound, UnknownLinkTarget

ARTICLE = """---
id: pay-invoice
locale: en
title: "Pay an invoice: recommended steps"
summary: Pay it.
topics: [paying, invoices]
keywords: pay, pay now , , invoice
related: payment-method-faq
links: invoices
---

Select **Pay now**. [Go to Invoices](settle:invoices)
"""

# DESIGN §7: the labels the pay article tells people to look for, exactly as the portal shows them.
PAY_TERMS = {
    "en": ("Cost Management + Billing", "Billing", "Invoices", "Pay now", "Select a payment method", "Paid", "Due",
           "Past due"),
    "nl": ("Kostenbeheer + facturering", "Facturering", "Facturen", "Nu betalen", "Selecteer een betalingswijze",
           "Betaald", "Verschuldigd", "Achterstallig"),
    "da": ("Cost Management + Fakturering", "Fakturering", "Fakturaer", "Betal nu", "Vælg en betalingsmetode",
           "Betalt", "Forfalder", "Forfalden"),
}  # fmt: skip


def test_front_matter_gives_each_field_lists_split_on_commas_and_quotes_removed() -> None:
    article = parse_article(ARTICLE)
    assert article.id == "pay-invoice" and article.locale == "en"
    assert article.title == "Pay an invoice: recommended steps"  # a colon inside the value is kept
    assert article.topics == ("paying", "invoices")
    assert article.keywords == ("pay", "pay now", "invoice")
    assert article.related == ("payment-method-faq",) and article.links == ("invoices",)
    assert article.body == "Select **Pay now**. [Go to Invoices](settle:invoices)\n"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda text: text.replace("---\nid", "id", 1), "must start with"),
        (lambda text: text.split("\n---\n")[0], "no closing"),
        (lambda text: text.replace("locale: en\n", ""), "missing field(s): locale"),
        (lambda text: text.replace("locale: en\n", "locale: en\nauthor: me\n"), "unknown field 'author'"),
        (lambda text: text.replace("locale: en\n", "locale: en\nlocale: nl\n"), "given twice"),
        (lambda text: text.replace("locale: en\n", "locale en\n"), "expected 'key: value'"),
        (lambda text: text.replace("id: pay-invoice", "id: Pay Invoice"), "not an article id"),
        (lambda text: text.replace("locale: en", "locale: de"), "'de' is not one of"),
        (lambda text: text.replace("summary: Pay it.", "summary:"), "'summary' is empty"),
        (lambda text: text.replace("links: invoices", "links: invoices, wallet"), "unknown link target(s)"),
        (lambda text: text.replace("(settle:invoices)", "(settle:wallet)"), "settle:wallet"),
        (lambda text: text.replace("links: invoices", "links: invoices, properties"), "'links' must list"),
        (lambda text: text.replace("related: payment-method-faq", "related: pay-invoice"), "'related' names"),
        (lambda text: text.split("---\n\n")[0] + "---\n\n", "no text"),
    ],
)
def test_a_malformed_article_is_refused_with_the_reason(change: object, problem: str) -> None:
    with pytest.raises(ArticleError, match=re.escape(problem)):
        parse_article(change(ARTICLE))  # type: ignore[operator]


def test_every_article_exists_in_english_dutch_and_danish_with_the_same_id() -> None:
    articles = library()
    assert {"pay-invoice", "pay-by-bank-transfer", "change-payment-method", "payment-method-faq",
            "billing-account-type", "billing-roles", "download-invoice"} <= set(articles.ids)  # fmt: skip
    for article_id in articles.ids:
        assert {articles.get(article_id, locale).locale for locale in LOCALES} == set(LOCALES)


def test_every_related_article_and_every_link_of_every_article_resolves() -> None:
    articles = library()
    for article in articles.articles.values():
        assert [related.id for related in articles.related(article)] == list(article.related)
        for target in article.link_targets():
            help_article = target.removeprefix("help/")
            assert target in LINK_TARGETS or articles.find(help_article, article.locale), target
        assert "settle:" not in article.html(lambda target: f"/portal/{target}")


def test_the_pay_article_has_seven_steps_with_the_portal_labels_of_its_language() -> None:
    for locale, terms in PAY_TERMS.items():
        article = library().get("pay-invoice", locale)
        steps = re.findall(r"^(\d+)\. ", article.body, flags=re.MULTILINE)
        assert steps == [str(number) for number in range(1, 8)], locale
        missing = [term for term in terms if f"**{term}**" not in article.body and f'"{term}"' not in article.body]
        assert not missing, (locale, missing)


def test_a_library_missing_an_article_in_one_language_is_refused(tmp_path: Path) -> None:
    for locale in ("en", "nl"):
        (tmp_path / locale).mkdir()
        text = ARTICLE.replace("locale: en", f"locale: {locale}").replace("related: payment-method-faq", "related:")
        (tmp_path / locale / "pay-invoice.md").write_text(text)
    with pytest.raises(ArticleError, match="'pay-invoice' is missing in da"):
        load_articles(tmp_path)


def test_a_related_article_that_does_not_exist_is_refused() -> None:
    articles = {(a.id, a.locale): a for a in (parse_article(ARTICLE.replace("locale: en", f"locale: {locale}"))
                                               for locale in LOCALES)}  # fmt: skip
    with pytest.raises(ArticleError, match="payment-method-faq do not exist"):
        Library(articles)


def test_a_file_must_be_named_for_its_id_and_stored_under_its_language(tmp_path: Path) -> None:
    (tmp_path / "nl").mkdir()
    (tmp_path / "nl" / "pay-invoice.md").write_text(ARTICLE)
    with pytest.raises(ArticleError, match="holds 'en/pay-invoice'"):
        load_articles(tmp_path)


def test_portal_links_are_rewritten_by_the_portal_and_other_links_are_left_alone() -> None:
    article = Article(
        id="a", locale="en", title="A", summary="A", links=("invoices",),
        body="[Go to Invoices](settle:invoices), [FAQ](settle:help/payment-method-faq), [docs](https://example.com/)",
    )  # fmt: skip
    html = article.html(lambda target: f"/billing/ACME/{target}?x=1&y=2")
    assert '<a href="/billing/ACME/invoices?x=1&amp;y=2">Go to Invoices</a>' in html
    assert '<a href="/billing/ACME/help/payment-method-faq?x=1&amp;y=2">FAQ</a>' in html
    assert '<a href="https://example.com/">docs</a>' in html


def test_raw_html_and_script_links_in_an_article_are_never_passed_through() -> None:
    article = Article(
        id="a", locale="en", title="A", summary="A", body="<script>alert(1)</script> [x](javascript:alert(1))"
    )
    html = article.html(lambda target: target)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html


def test_rendering_a_link_to_an_unknown_screen_fails() -> None:
    article = Article(id="a", locale="en", title="A", summary="A", body="[Wallet](settle:wallet)")
    with pytest.raises(UnknownLinkTarget):
        article.html(lambda target: target)


def test_an_article_that_does_not_exist_is_not_found() -> None:
    with pytest.raises(ArticleNotFound):
        library().get("how-to-bake-bread", "en")
    assert library().find("pay-invoice", "de") is None
