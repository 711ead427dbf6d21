"""The simulated processor's pages for the card holder (3-D Secure, as a card holder's bank shows it):
in the payer's language (the `lang` Settle passes, else the browser's), amounts as that locale writes
them, one stylesheet of their own, and never kept by the browser, so Back after answering shows the
outcome, not the buttons again."""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi.responses import HTMLResponse

from settle.errors import N_
from settle.i18n import LOCALES, choose_locale, gettext
from settle.money import Money, format_money

TITLE = N_("3-D Secure")
BANK = N_("Your bank (simulated)")
ASK = N_("Your bank asks you to confirm a payment of {amount}.")
SIMULATED = N_("This is the simulated processor's test page: choose the answer the bank gives.")
COMPLETE = N_("Complete")
FAIL = N_("Fail")
CHOOSE = N_("Choose Complete or Fail.")
UNKNOWN_TITLE = N_("Unknown payment")
UNKNOWN = N_("There is no such payment.")
CONFIRMED = N_("Done: the payment was confirmed. You can close this page.")
NOT_CONFIRMED = N_("Done: the payment was not confirmed. You can close this page.")
BACK = N_("Back to the billing portal")
NO_STORE = {"Cache-Control": "no-store"}
STYLESHEET = (Path(__file__).parent / "challenge.css").read_text(encoding="utf-8")


def page_locale(lang: str, accept_language: str | None) -> str:
    """The payer's language: the one Settle's portal sent them with, else their browser's."""
    return lang if lang in LOCALES else choose_locale(None, None, accept_language)


def challenge_page(locale: str, amount: Money, challenge: str, return_url: str) -> HTMLResponse:
    amount_text = escape(format_money(amount, locale))
    ask = escape(gettext(locale, ASK)).replace("{amount}", f'<strong class="amount-inline">{amount_text}</strong>')
    body = (
        f"<p>{ask}</p>"
        f'<p class="amount" aria-hidden="true">{amount_text}</p>'
        f'<form method="post" action="{escape(challenge)}">'
        f'<input type="hidden" name="return_url" value="{escape(return_url)}">'
        f'<input type="hidden" name="lang" value="{escape(locale)}">'
        '<div class="actions">'
        f'<button class="complete" type="submit" name="action" value="complete">{escape(gettext(locale, COMPLETE))}'
        f'</button><button type="submit" name="action" value="fail">{escape(gettext(locale, FAIL))}</button>'
        "</div></form>"
        f'<p class="note">{escape(gettext(locale, SIMULATED))}</p>'
    )
    return page(locale, gettext(locale, TITLE), body)


def done_page(locale: str, confirmed: bool, return_url: str | None) -> HTMLResponse:
    outcome = gettext(locale, CONFIRMED if confirmed else NOT_CONFIRMED)
    back = f'<p><a href="{escape(return_url)}">{escape(gettext(locale, BACK))}</a></p>' if return_url else ""
    return page(locale, gettext(locale, TITLE), f'<p role="status">{escape(outcome)}</p>{back}')


def unknown_page(locale: str) -> HTMLResponse:
    return page(locale, gettext(locale, UNKNOWN_TITLE), f"<p>{escape(gettext(locale, UNKNOWN))}</p>", status_code=404)


def choose_page(locale: str) -> HTMLResponse:
    return page(locale, gettext(locale, TITLE), f"<p>{escape(gettext(locale, CHOOSE))}</p>", status_code=400)


def page(locale: str, title: str, body: str, status_code: int = 200) -> HTMLResponse:
    # The stylesheet is the processor's own, next to /challenge/…: relative, so it works mounted or alone.
    html = (
        f'<!doctype html><html lang="{escape(locale)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="../challenge.css"></head>'
        f'<body><main><p class="bank">{escape(gettext(locale, BANK))}</p>'
        f"<h1>{escape(title)}</h1>{body}</main></body></html>"
    )
    return HTMLResponse(html, status_code=status_code, headers=NO_STORE)
