"""The top bar's global search: services, invoices by number, billing profiles and help articles,
in the user's language (DESIGN §1 step 2). Enter opens the first hit."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from settle.accounts.model import User
from settle.accounts.scopes import billing_scopes_for
from settle.errors import N_
from settle.i18n import gettext
from settle.invoices.grid import find_invoice_numbers
from settle.uow import UnitOfWork
from settle.web.portal.pages import render, signed_in, visitor

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[User, Depends(signed_in)]
LIMIT = 8


@dataclass(frozen=True)
class Service:
    label: str  # a msgid: shown in the user's language
    path: str
    words: tuple[str, ...]  # what people type for it, in any of the three languages


# The names people search for, in English, Dutch and Danish: whatever the portal's language, typing any
# of them finds the service (a Dutch user may well type "billing").
SERVICES = (
    Service(
        N_("Cost Management + Billing"),
        "/billing",
        (
            "cost management billing",
            "kostenbeheer facturering kosten beheer",
            "cost management fakturering omkostninger",
            "invoices facturen fakturaer payments betalingen betalinger",
        ),
    ),
    Service(N_("Invoices"), "/billing/invoices", ("invoices bills facturen rekeningen fakturaer regninger",)),
    Service(
        N_("Payment methods"),
        "/billing/payment-methods",
        ("payment methods credit cards betalingswijze betaalmethode creditcard betalingsmetode kreditkort",),
    ),
    Service(N_("Help + support"), "/help", ("help support hulp ondersteuning hjælp hjaelp",)),
)
KINDS = {
    "service": N_("Service"),
    "invoice": N_("Invoice"),
    "profile": N_("Billing profile"),
    "help": N_("Help article"),
}


def fold(text: str) -> str:
    """Lower case without accents: "Kostenbeheer" and "kostenbéheer" are the same search."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char)).replace("æ", "ae").replace("ø", "o")


def _matches(query: str, texts: tuple[str, ...]) -> bool:
    """Every word typed begins a word of the texts (so "kost", "cost man" and "facturering" all match)."""
    words = [word for text in texts for word in fold(text).replace("+", " ").split()]
    return all(any(word.startswith(typed) for word in words) for typed in fold(query).replace("+", " ").split())


def search_hits(request: Request, user: User, query: str) -> list[dict[str, str]]:
    """The hits for `query`, best kinds first: services, then invoices, billing profiles, help."""
    locale = visitor(request).locale
    text = query.strip()
    if not text:
        return []
    hits = [
        {"kind": gettext(locale, KINDS["service"]), "label": gettext(locale, service.label), "url": service.path}
        for service in SERVICES
        if _matches(text, (gettext(locale, service.label), service.label, *service.words))
    ]
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        for number in find_invoice_numbers(uow, user.id, text):
            hits.append(
                {"kind": gettext(locale, KINDS["invoice"]), "label": number, "url": f"/billing/invoices/{number}"}
            )
        for choice in billing_scopes_for(uow, user.id):
            if choice.profile is not None and _matches(text, (choice.profile.display_name, choice.profile.id)):
                url = f"/billing/invoices?{urlencode({'scope': choice.key})}"
                hits.append({"kind": gettext(locale, KINDS["profile"]), "label": choice.display_name, "url": url})
    hits.extend(_help_hits(locale, text))
    return hits[:LIMIT]


def _help_hits(locale: str, text: str) -> list[dict[str, str]]:
    try:
        from settle.help.service import suggest
    except ImportError:  # pragma: no cover - the help package ships with Settle
        return []
    return [
        {"kind": gettext(locale, KINDS["help"]), "label": article.title, "url": f"/help/articles/{article.id}"}
        for article in suggest(text, locale, limit=3)
    ]


@router.get("/search/suggest")
def suggest_hits(request: Request, user: SignedIn, q: str = "") -> JSONResponse:
    return JSONResponse({"hits": search_hits(request, user, q[:200])})


@router.get("/search")
def search(request: Request, user: SignedIn, q: str = "", all: str = "") -> Response:
    """Enter in the search box: straight to the first hit; `all=1` lists every hit."""
    hits = search_hits(request, user, q[:200])
    if hits and not all:
        return RedirectResponse(hits[0]["url"], status_code=303)
    return render(request, "search.html", hits=hits, search_text=q)
