"""One voice per language (issue 18 item 21): Dutch addresses the reader as *u* throughout, as the reference
articles do, and each language has one word for the payment method and one for the payment processor."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from settle.help.articles import ARTICLES
from settle.i18n import CATALOGS

INFORMAL_DUTCH = re.compile(r"\b(je|jij|jouw|jou|jezelf)\b", re.IGNORECASE)
# What the payment method and the processor are called, and the words that would be a second name for them.
TERMS = {
    "nl": {
        "payment method": ("betalingswijze", re.compile(r"betaal(methode|wijze|middel)|betalingsmethode", re.I)),
        "processor": ("betalingsverwerker", re.compile(r"betaalverwerker|verwerkingsdienst|\bprocessor", re.I)),
    },
    "da": {
        "payment method": ("betalingsmetode", re.compile(r"betalingsmåde|betalingsmiddel|betalingsform", re.I)),
        "processor": ("betalingsbehandler", re.compile(r"betalingsudbyder|betalingsformidler|\bprocessor", re.I)),
    },
}


def _translations(locale: str) -> dict[str, list[str]]:
    """Each message's English text (the singular of a plural), and its translations."""
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=locale)
    found = {}
    for message in catalog:
        if message.id:
            english = message.id if isinstance(message.id, str) else message.id[0]
            texts = message.string if isinstance(message.string, tuple) else (message.string,)
            found[english] = [text for text in texts if text]
    return found


def test_dutch_says_u_never_je() -> None:
    informal = {
        english: text for english, texts in _translations("nl").items() for text in texts if INFORMAL_DUTCH.search(text)
    }
    assert not informal, f"informal Dutch (use u/uw): {informal}"


def test_the_dutch_help_articles_say_u_too() -> None:
    articles = sorted((ARTICLES / "nl").glob("*.md"))
    assert articles
    informal = [line for path in articles for line in path.read_text().splitlines() if INFORMAL_DUTCH.search(line)]
    assert not informal, f"informal Dutch in the help articles: {informal}"


@pytest.mark.parametrize("locale", ["nl", "da"])
@pytest.mark.parametrize("concept", ["payment method", "processor"])
def test_each_concept_has_one_name(locale: str, concept: str) -> None:
    name, other_names = TERMS[locale][concept]
    messages = _translations(locale)
    about_it = {english: texts for english, texts in messages.items() if concept in english.lower()}
    assert about_it, f"no message mentions the {concept}"
    unnamed = {english: texts for english, texts in about_it.items() if not all(name in t.lower() for t in texts)}
    assert not unnamed, f"{locale}: the {concept} is called '{name}': {unnamed}"
    renamed = {english: text for english, texts in messages.items() for text in texts if other_names.search(text)}
    assert not renamed, f"{locale}: another name for the {concept} than '{name}': {renamed}"


def test_danish_says_when_automatic_payment_was_turned_on() -> None:
    assert _translations("da")["On since %(date)s"] == ["Slået til siden %(date)s"]
