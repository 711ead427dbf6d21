"""Rendering portal pages: one Jinja2 environment per language, the visitor of each request
(signed-in user or not, language, CSRF token), and the answers pages give."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from babel.dates import format_date, format_datetime, format_interval
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from settle.access.model import ROLE_NAMES, PermissionMissing
from settle.access.refusals import explain
from settle.access.service import naming_owners
from settle.access.sessions import Session
from settle.access.sign_in import resolve_session
from settle.accounts.model import AGREEMENT_NAMES, User
from settle.config import Settings
from settle.errors import SettleError
from settle.help.model import PROBLEM_TYPE_LABELS
from settle.help.model import STATUS_LABELS as SUPPORT_STATUS_LABELS
from settle.i18n import LOCALES, choose_locale, gettext, translations
from settle.invoices.model import STATUS_LABELS
from settle.money import babel_locale, format_money
from settle.uow import UnitOfWork
from settle.web.errors import message_of
from settle.web.security import csrf_token, new_browser_id

TEMPLATES = Path(__file__).parent / "templates"
SESSION_COOKIE = "settle_session"
BROWSER_COOKIE = "settle_browser"  # anonymous forms' CSRF tokens hang on it
LOCALE_COOKIE = "settle_locale"
LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands", "da": "Dansk"}


@cache
def environment(locale: str) -> Environment:
    """Templates translated into `locale` (one environment each: they are shared across threads)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    parsed = babel_locale(locale)
    # A grid page formats hundreds of amounts and dates, most of them seen before: Babel's formatting is the
    # slow part of rendering it, so the answers are kept (a bounded number: memory does not grow).
    env.filters["money"] = lru_cache(maxsize=2048)(lambda money: format_money(money, locale))
    env.filters["day"] = lru_cache(maxsize=1024)(
        lambda day: format_date(day, format="medium", locale=parsed) if day else ""
    )
    # A period in the same style as a day ("1–30 nov 2026"): one date style per page, no "10/1/26" beside it.
    env.filters["period"] = lru_cache(maxsize=1024)(
        lambda start, end: format_interval(start, end, "yMMMd", locale=parsed) if start and end else ""
    )
    env.filters["moment"] = lambda moment: format_datetime(moment, format="medium", locale=parsed) if moment else ""
    env.globals["status_label"] = lambda status: gettext(locale, STATUS_LABELS[status])
    env.globals["role_name"] = lambda role: gettext(locale, ROLE_NAMES[role])
    env.globals["agreement_name"] = lambda agreement: gettext(locale, AGREEMENT_NAMES[agreement])
    env.globals["problem_type_label"] = lambda problem: gettext(locale, PROBLEM_TYPE_LABELS[problem])
    env.globals["support_status_label"] = lambda status: gettext(locale, SUPPORT_STATUS_LABELS[status])
    env.globals["error_text"] = lambda error: message_for(error, locale)
    return env


def message_for(error: SettleError, locale: str) -> str:
    """An error's message for a person: a missing permission is explained (what their role lets them do,
    which role would allow it, whom to ask), where the API names only the permission."""
    if isinstance(error, PermissionMissing):
        return explain(error, locale)
    return message_of(error, locale)


def error_text(request: Request, error: SettleError) -> str:
    """`message_for` in the visitor's language, naming the account's owners when the refusal does not yet."""
    if isinstance(error, PermissionMissing) and not error.owners:
        with UnitOfWork(request.app.state.engine, write=False) as uow:
            error = naming_owners(uow, error)
    return message_for(error, visitor(request).locale)


@dataclass
class Visitor:
    """Who is asking: a signed-in user with their session, or nobody yet; and in which language."""

    locale: str
    user: User | None
    session: Session | None
    session_secret: str | None
    browser_id: str
    new_browser_id: bool

    @property
    def csrf_basis(self) -> str:
        return self.session_secret or self.browser_id


def visitor(request: Request) -> Visitor:
    """The visitor of a request, found once per request."""
    found: Visitor | None = getattr(request.state, "visitor", None)
    if found is not None:
        return found
    settings: Settings = request.app.state.settings
    secret = request.cookies.get(SESSION_COOKIE)
    resolved = None
    if secret:
        with UnitOfWork(request.app.state.engine) as uow:
            resolved = resolve_session(
                uow,
                request.app.state.clock,
                secret,
                idle_timeout=settings.session_idle_timeout,
                absolute_timeout=settings.session_absolute_timeout,
            )
    user, session = resolved if resolved else (None, None)
    browser = request.cookies.get(BROWSER_COOKIE)
    locale = choose_locale(
        user.locale if user else None, request.cookies.get(LOCALE_COOKIE), request.headers.get("accept-language")
    )
    found = Visitor(locale, user, session, secret if session else None, browser or new_browser_id(), browser is None)
    request.state.visitor = found
    return found


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page in the visitor's language, with what every page needs."""
    who = visitor(request)
    settings: Settings = request.app.state.settings
    page = (
        environment(who.locale)
        .get_template(template)
        .render(
            visitor=who,
            locale=who.locale,
            locales=LOCALES,
            language_names=LANGUAGE_NAMES,
            request=request,
            csrf_token=csrf_token(settings.secret_key, who.csrf_basis),
            signup_enabled=settings.signup,
            **context,
        )
    )
    response = HTMLResponse(page, status_code=status_code)
    remember_browser(request, response)
    return response


class SignInRequired(Exception):
    """A page for signed-in users asked for by someone who is not (any more)."""


def signed_in(request: Request) -> User:
    """The signed-in user of a page; anyone else is sent to sign in first."""
    user = visitor(request).user
    if user is None:
        raise SignInRequired()
    return user


def remember_browser(request: Request, response: HTMLResponse | RedirectResponse) -> None:
    who = visitor(request)
    if who.new_browser_id:
        response.set_cookie(BROWSER_COOKIE, who.browser_id, httponly=True, samesite="lax", secure=is_https(request))


def is_https(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return request.url.scheme == "https" or settings.base_url.startswith("https://")


def sign_in_first(request: Request) -> RedirectResponse:
    """Send a visitor who is not signed in to the sign-in page, and back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


def safe_next(target: str | None) -> str:
    """Only a path on this site: never a redirect to somewhere else (`//evil`, `https://…`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
