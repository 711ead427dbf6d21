"""Every string a person reads is translated into Dutch and Danish, with DESIGN §7's terms exactly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from settle.i18n import CATALOGS, gettext

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s")

# DESIGN §7: the terms of the reference help articles, which users search for and follow.
TERMS = {
    "Cost Management + Billing": ("Kostenbeheer + facturering", "Cost Management + Fakturering"),
    "Billing": ("Facturering", "Fakturering"),
    "Invoices": ("Facturen", "Fakturaer"),
    "Pay now": ("Nu betalen", "Betal nu"),
    "Select a payment method": ("Selecteer een betalingswijze", "Vælg en betalingsmetode"),
    "Paid": ("Betaald", "Betalt"),
    "Due": ("Verschuldigd", "Forfalder"),
    "Past due": ("Achterstallig", "Forfalden"),
    "Billing account administrator": ("Beheerder van het factureringsaccount", "Administrator af faktureringskontoen"),
    "Payment method": ("Betalingswijze", "Betalingsmetode"),
    "Recommended documents": ("Aanbevolen documenten", "Anbefalede dokumenter"),
}


def _messages_in_the_code() -> set[str | tuple[str, ...]]:
    """Every message the code marks: a text, or a (singular, plural) pair."""
    method_map = [("settle/**.py", "python"), ("settle/web/**/templates/**.html", "jinja2")]
    keywords = {"N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}
    found = extract_from_dir(str(ROOT), method_map, keywords=keywords)
    return {message for _, _, message, _, _ in found if message}


def _catalog(locale: str) -> Catalog:
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=locale)


def _translated(message: Message) -> bool:
    texts = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(texts)


def test_the_template_holds_every_message_of_the_code() -> None:
    with (CATALOGS / "messages.pot").open("rb") as source:
        template = {message.id for message in read_po(source) if message.id}
    missing, stale = _messages_in_the_code() - template, template - _messages_in_the_code()
    assert not missing and not stale, f"run `make catalogs` and translate: missing {missing}, stale {stale}"


@pytest.mark.parametrize("locale", ["nl", "da"])
def test_every_message_is_translated_and_none_is_fuzzy(locale: str) -> None:
    catalog = _catalog(locale)
    untranslated = [message.id for message in catalog if message.id and (not _translated(message) or message.fuzzy)]
    absent = _messages_in_the_code() - {message.id for message in catalog if message.id}
    assert not absent, f"{locale}: not in the catalog (run `make catalogs`): {sorted(absent)}"
    assert not untranslated, f"{locale}: untranslated or fuzzy: {untranslated}"


@pytest.mark.parametrize("locale", ["nl", "da"])
def test_translations_keep_the_placeholders(locale: str) -> None:
    for message in _catalog(locale):
        if message.id and message.string:
            assert set(PLACEHOLDER.findall(str(message.id))) == set(PLACEHOLDER.findall(str(message.string))), (
                message.id
            )


def test_the_terms_of_the_help_articles_are_used_exactly_wherever_they_are_shown() -> None:
    shown = {term: pair for term, pair in TERMS.items() if term in _messages_in_the_code()}
    assert "Cost Management + Billing" in shown
    wrong = {
        term: (gettext("nl", term), gettext("da", term))
        for term, pair in shown.items()
        if (gettext("nl", term), gettext("da", term)) != pair
    }
    assert not wrong, f"translated otherwise than DESIGN §7 says: {wrong}"
