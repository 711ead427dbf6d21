"""Languages: English, Dutch and Danish, from gettext catalogs (Babel) in settle/locales.

Every string a person reads goes through here: pages, errors, e-mails, documents. The locale is
the user's choice, else the cookie, else the browser's Accept-Language, else English (DESIGN §7)."""

from __future__ import annotations

import io
from functools import cache
from gettext import GNUTranslations, NullTranslations
from pathlib import Path

from babel import Locale
from babel.core import UnknownLocaleError, negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = ("en", "nl", "da")
DEFAULT_LOCALE = "en"
CATALOGS = Path(__file__).parent / "locales"


@cache
def translations(locale: str) -> NullTranslations:
    """The catalog of `locale`, compiled from its .po file on first use (no build step, and no
    stale .mo file); English is the source language and has none."""
    path = CATALOGS / locale / "LC_MESSAGES" / "messages.po"
    if locale == DEFAULT_LOCALE or not path.exists():
        return NullTranslations()
    with path.open("rb") as source:
        catalog = read_po(source, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return GNUTranslations(compiled)


def gettext(locale: str, message: str) -> str:
    return translations(locale).gettext(message)


def choose_locale(user_choice: str | None, cookie: str | None, accept_language: str | None) -> str:
    """DESIGN §7's order: the user's choice, the cookie, the browser, English."""
    for candidate in (user_choice, cookie):
        if candidate in LOCALES:
            return candidate
    return negotiate_locale(_preferences(accept_language or ""), LOCALES, sep="-") or DEFAULT_LOCALE


def _preferences(header: str) -> list[str]:
    """Accept-Language values, best first (`da, en-GB;q=0.8, nl;q=0.9` → da, nl, en-GB)."""
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, _language(tag.strip())))
    return [tag for _, _, tag in sorted(weighted)]


def _language(tag: str) -> str:
    """`nl-BE` → `nl` (Settle has one catalog per language)."""
    try:
        return Locale.parse(tag, sep="-").language
    except (ValueError, UnknownLocaleError):
        return tag.partition("-")[0].lower()
