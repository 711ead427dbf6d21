"""Cost Management + Billing › Overview and Invoices, and the Pay now blade (DESIGN §1 steps 3–7)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from settle.accounts.model import User
from settle.documents.files import PdfFile
from settle.documents.model import configured_provider
from settle.documents.service import invoice_pdf_for, receipt_pdf_for
from settle.errors import N_, Invalid, SettleError
from settle.help.service import get_article
from settle.i18n import gettext
from settle.invoices.grid import balances_due, invoice_grid
from settle.invoices.model import InvoiceOrder, InvoiceQuery, InvoiceStatus
from settle.money import Money
from settle.payments.checkout import (
    FailedAttempt,
    find_failed_attempt,
    find_own_payment_by_key,
    get_own_payment,
    payment_choice,
)
from settle.payments.lists import list_payment_history, payments_of_invoices
from settle.payments.model import (
    DECLINE_MESSAGES,
    CardPolicy,
    DeclineCode,
    Declined,
    IdempotencyKeyReused,
    InProgress,
    Payment,
    PaymentOutcome,
    PayRequest,
    RequiresAction,
    outcome_of,
)
from settle.payments.paying import confirm_payment, pay_invoice
from settle.payments.service import add_card
from settle.uow import UnitOfWork
from settle.web.errors import message_of, status_of
from settle.web.portal.pages import Visitor, error_text, signed_in, visitor
from settle.web.portal.scope import billing_view, render_billing
from settle.web.portal.sign_in_routes import checked_form

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[User, Depends(signed_in)]
Checked = Annotated[Visitor, Depends(checked_form)]
Text = Annotated[str, Form()]
PAGE_SIZE = 50
FILTERABLE = (
    InvoiceStatus.DUE,
    InvoiceStatus.PAST_DUE,
    InvoiceStatus.PARTIALLY_PAID,
    InvoiceStatus.PAID,
    InvoiceStatus.VOID,
)
PAYMENT_METHOD_FAQ = "payment-method-faq"
BAD_AMOUNT = N_("The amount to pay is missing or not valid. Close the blade and open it again.")


UNPAID = "unpaid"  # a filter of its own: Due, Past due and Partially paid together
UNPAID_STATUSES = frozenset({InvoiceStatus.DUE, InvoiceStatus.PAST_DUE, InvoiceStatus.PARTIALLY_PAID})
# The sort values a URL may carry: a column ascending, or "-column" descending; newest/oldest as before.
SORTS = {"newest": "-invoice_date", "oldest": "invoice_date"}


class BadFilter(Invalid):
    code = "InvalidFilter"
    message = N_("'{value}' is not a valid filter value.")


class ReversedDates(Invalid):
    code = "InvalidFilter"
    message = N_("The invoice date from is after the invoice date to: choose a from date on or before the to date.")


@dataclass(frozen=True)
class GridFilter:
    """The Invoices grid's filter, sort and page, as its URL carries them."""

    status: str = ""
    date_from: str = ""
    date_to: str = ""
    sort: str = "-invoice_date"
    after: str = ""

    @classmethod
    def of(cls, request: Request) -> GridFilter:
        q = request.query_params
        sort = SORTS.get(q.get("sort", ""), q.get("sort", "")) or "-invoice_date"
        return cls(q.get("status", ""), q.get("from", ""), q.get("to", ""), sort, q.get("after", ""))

    def params(self, **changes: str) -> dict[str, str]:
        values = {"status": self.status, "from": self.date_from, "to": self.date_to, "after": self.after}
        values |= {"sort": "" if self.sort == "-invoice_date" else self.sort} | changes
        return {name: value for name, value in values.items() if value}

    def sorted_by(self, column: str) -> str:
        """The sort a column heading links to: the column descending first, then ascending."""
        return column if self.sort == f"-{column}" else f"-{column}"

    def query(self) -> InvoiceQuery:
        """The filter as a query; a value that does not parse is BadFilter, never a 500."""
        order = _order(self.sort.removeprefix("-"))
        after = None
        if self.after:
            value, _, number = self.after.partition("~")
            after = (_key(order, value), number)
        date_from = _date(self.date_from) if self.date_from else None
        date_to = _date(self.date_to) if self.date_to else None
        if date_from and date_to and date_from > date_to:
            raise ReversedDates()
        return InvoiceQuery(
            billing_profile_ids=frozenset(),
            statuses=UNPAID_STATUSES if self.status == UNPAID else _statuses(self.status),
            invoice_date_from=date_from,
            invoice_date_to=date_to,
            after=after,
            limit=PAGE_SIZE,
            oldest_first=not self.sort.startswith("-"),
            order=order,
        )


def _statuses(value: str) -> frozenset[InvoiceStatus]:
    if not value:
        return frozenset()
    for status in FILTERABLE:
        if status.value == value:
            return frozenset({status})
    raise BadFilter(value=value)


def _order(value: str) -> InvoiceOrder:
    try:
        return InvoiceOrder(value)
    except ValueError:
        raise BadFilter(value=value) from None


def _key(order: InvoiceOrder, value: str) -> date | int | str:
    if order is InvoiceOrder.NUMBER:
        return value
    if order is InvoiceOrder.AMOUNT_DUE:
        try:
            return int(value)
        except ValueError:
            raise BadFilter(value=value) from None
    return _date(value)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(value=value) from None


@router.get("/billing")
def overview(request: Request, user: SignedIn, scope: str = "") -> Response:
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        view = billing_view(uow, user, scope)
        balances = balances_due(uow, request.app.state.clock, user.id, view.current.scope)
        recent = (
            []
            if view.current.scope.invoice_section_id
            else list_payment_history(uow, actor_id=user.id, scope=view.current.scope, limit=5)
        )
    return render_billing(request, "billing/overview.html", view, "overview", balances=balances, entries=recent)


@router.get("/billing/invoices")
def invoices(request: Request, user: SignedIn, scope: str = "", paid: str = "", pending: str = "") -> Response:
    payment = None
    if paid:
        with UnitOfWork(request.app.state.engine, write=False) as uow:
            payment = get_own_payment(uow, user.id, paid)
    return _invoices_page(request, user, scope, paid=payment, pending=pending)


def _invoices_page(
    request: Request,
    user: User,
    scope: str,
    *,
    blade: dict[str, Any] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    chosen = GridFilter.of(request)
    filter_error = None
    try:
        query = chosen.query()
    except (BadFilter, ReversedDates) as bad:
        filter_error, chosen, status_code = message_of(bad, visitor(request).locale), GridFilter(), 400
        query = chosen.query()
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        view = billing_view(uow, user, scope)
        grid = invoice_grid(uow, request.app.state.clock, user.id, view.current.scope, query)
    after = f"{_keyset(grid.next_after[0])}~{grid.next_after[1]}" if grid.next_after else ""
    return render_billing(
        request,
        "billing/invoices.html",
        view,
        "invoices",
        status_code=status_code,
        grid=grid,
        chosen=chosen,
        filter_error=filter_error,
        statuses=FILTERABLE,
        unpaid=UNPAID,
        sort_url=lambda column: view.url("/billing/invoices", **chosen.params(after="", sort=chosen.sorted_by(column))),
        blade=blade,
        next_url=view.url("/billing/invoices", **chosen.params(after=after)) if after else None,
        first_url=view.url("/billing/invoices", **chosen.params(after="")) if chosen.after else None,
        pay_url=lambda number: view.url(f"/billing/invoices/{number}/pay", **chosen.params()),
        details_url=lambda number: view.url(f"/billing/invoices/{number}", **chosen.params()),
        close_url=view.url("/billing/invoices", **chosen.params()),
        export_url=lambda dialect: view.url("/billing/invoices/export", format=dialect, **chosen.params(after="")),
        **extra,
    )


def _keyset(value: date | int | str) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


@router.get("/billing/invoices/{number}/pay")
def pay_blade(
    request: Request, user: SignedIn, number: str, scope: str = "", failed: str = "", resent: str = ""
) -> Response:
    """The blade; `failed`: the payment that was just declined (the redirect after the form, so that a
    reload or Back never sends it again); `resent`: a form that had been sent already came again."""
    return _with_blade(request, user, number, scope, failed=failed, resent=bool(resent))


def _with_blade(
    request: Request,
    user: User,
    number: str,
    scope: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    failed: str = "",
    resent: bool = False,
) -> Response:
    """The invoices grid with the Pay now blade of `number` open over it, and a fresh idempotency key
    for each opening: a resent form pays once, a new opening is a new attempt."""
    locale = visitor(request).locale
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        choice = payment_choice(uow, request.app.state.clock, user.id, number)
        attempt = find_failed_attempt(uow, user.id, failed, number) if failed else None
    if attempt is not None and error is None and choice.refusal is None:
        error = _failure_message(locale, attempt)
    if choice.refusal is not None and error is None and choice.status is not InvoiceStatus.PAID:
        error = error_text(request, choice.refusal)  # a paid invoice shows its receipt instead (Back after paying)
        if choice.status is not InvoiceStatus.VOID:
            status_code = status_of(choice.refusal)
    blade = {
        "choice": choice,
        "error": error,
        "resent": resent and choice.refusal is None,
        "tried": _tried_option(attempt),
        "idempotency_key": secrets.token_urlsafe(18),
        "tokenize_url": request.app.state.tokenize_url,
        "publishable_key": request.app.state.publishable_key,
        "action": f"/billing/invoices/{number}/pay?" + urlencode({"scope": scope} if scope else {}),
        "faq": get_article(PAYMENT_METHOD_FAQ, locale),  # why a card is declined, and what to do
        "bank": configured_provider(request.app.state.settings),  # where a bank transfer goes, as the PDF says
    }
    return _invoices_page(request, user, scope, blade=blade, status_code=status_code)


def _failure_message(locale: str, attempt: FailedAttempt) -> str:
    """Which card failed and why: "Visa •••• 0002: the card was declined. …"."""
    code = attempt.payment.decline_code or DeclineCode.CARD_DECLINED
    reason = gettext(locale, DECLINE_MESSAGES[code])
    method = attempt.method
    if method is None or not method.last4:
        return reason
    card = f"{(method.brand or '').title()} •••• {method.last4}"
    if attempt.card_was_discarded:
        text = N_("The payment with %(card)s failed: %(reason)s The card was not saved.")
    else:
        text = N_("The payment with %(card)s failed: %(reason)s")
    return gettext(locale, text) % {"card": card, "reason": reason}


def _tried_option(attempt: FailedAttempt | None) -> str:
    """The option the blade keeps chosen after a failure: the saved card tried, or "new" for a typed one."""
    if attempt is None or attempt.method is None:
        return ""
    return "new" if attempt.card_was_discarded else attempt.method.id


@router.post("/billing/invoices/{number}/pay")
def submit_payment(
    request: Request,
    who: Checked,
    number: str,
    scope: str = "",
    payment_method_id: Text = "",
    card_token: Text = "",
    amount_minor: Text = "",
    currency: Text = "",
    idempotency_key: Text = "",
) -> Response:
    user = signed_in(request)
    app = request.app.state
    client = request.client.host if request.client else None
    try:
        seen = Money(int(amount_minor), currency)
    except (ValueError, SettleError):
        return _with_blade(request, user, number, scope, error=gettext(who.locale, BAD_AMOUNT), status_code=400)
    with UnitOfWork(app.engine, write=False) as uow:
        earlier = find_own_payment_by_key(uow, user.id, idempotency_key)
    if earlier is not None and payment_method_id == "new":  # this form was sent: its card is not added again
        return _after(request, number, scope, outcome_of(earlier))
    try:
        if payment_method_id == "new":  # a card the browser has just tokenised at the processor
            with UnitOfWork(app.engine) as uow:
                choice = payment_choice(uow, app.clock, user.id, number)
                payment_method_id = add_card(
                    uow,
                    app.clock,
                    app.processor,
                    actor_id=user.id,
                    profile_id=choice.billing_profile.id,
                    token_id=card_token,
                    client_address=client,
                    on_trial=True,  # kept only if this payment succeeds
                ).id
        policy = CardPolicy(limits=app.settings.card_limits, refuse_prepaid=app.settings.refuse_prepaid_cards)
        paying = PayRequest(number, payment_method_id, seen, idempotency_key, client)
        outcome = pay_invoice(
            app.engine,
            app.processor,
            app.clock,
            actor_id=user.id,
            request=paying,
            policy=policy,
            tz=app.settings.timezone,
        )
    except IdempotencyKeyReused:  # an old copy of the form (Back), sent with other choices: open it afresh
        back = {"scope": scope} if scope else {}
        return RedirectResponse(f"/billing/invoices/{number}/pay?" + urlencode(back | {"resent": "1"}), status_code=303)
    except SettleError as error:
        return _with_blade(request, user, number, scope, error=error_text(request, error), status_code=status_of(error))
    return _after(request, number, scope, outcome)


def _after(request: Request, number: str, scope: str, outcome: PaymentOutcome) -> Response:
    """Paid: back to the grid, which says so; declined: the blade again, by a redirect (a reload or Back
    sends nothing again), with the card and the reason; a 3-D Secure card: to the card holder's bank and
    back to confirm; not known yet: the grid shows Processing."""
    back = {"scope": scope} if scope else {}
    if isinstance(outcome, Declined):
        query = urlencode(back | {"failed": outcome.payment.id})
        return RedirectResponse(f"/billing/invoices/{number}/pay?{query}", status_code=303)
    if isinstance(outcome, RequiresAction):
        # Absolute, under SETTLE_BASE_URL: the only place the card holder's bank will send them back to.
        base = request.app.state.settings.base_url
        query = urlencode(back | {"payment": outcome.payment.id})
        confirm_url = f"{base}/billing/invoices/{number}/pay/confirm?{query}"
        challenge = urlencode({"return_url": confirm_url, "lang": visitor(request).locale})
        return RedirectResponse(f"{outcome.challenge_url}?{challenge}", status_code=303)
    if isinstance(outcome, InProgress):
        return RedirectResponse("/billing/invoices?" + urlencode(back | {"pending": number}), status_code=303)
    return RedirectResponse("/billing/invoices?" + urlencode(back | {"paid": outcome.payment.id}), status_code=303)


@router.get("/billing/invoices/{number}/pay/confirm")
def confirm_after_challenge(
    request: Request, user: SignedIn, number: str, payment: str = "", scope: str = ""
) -> Response:
    app = request.app.state
    with UnitOfWork(app.engine, write=False) as uow:
        own: Payment = get_own_payment(uow, user.id, payment)
    if own.invoice_id != number:
        return _with_blade(request, user, number, scope)
    return _after(request, number, scope, confirm_payment(app.engine, app.processor, app.clock, own.id))


@router.get("/billing/invoices/{number}")
def invoice_details(request: Request, user: SignedIn, number: str, scope: str = "") -> Response:
    """An invoice found by search or linked from an e-mail: the grid with its details blade open."""
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        choice = payment_choice(uow, request.app.state.clock, user.id, number)  # InvoiceNotFound unless seen
        payments = payments_of_invoices(uow, [number]).get(number, [])
    scope = scope or f"{choice.invoice.billing_account_id}/{choice.invoice.billing_profile_id}"
    details = {"choice": choice, "details": True, "pay_link": choice.refusal is None, "payments": payments}
    return _invoices_page(request, user, scope, blade=details)


@router.get("/billing/invoices/{number}/pdf")
def invoice_pdf(request: Request, user: SignedIn, number: str) -> Response:
    settings = request.app.state.settings
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        pdf = invoice_pdf_for(
            uow,
            user.id,
            number,
            tz=settings.timezone,
            base_url=settings.base_url,
            provider=configured_provider(settings),
        )
    return _pdf_answer(request, pdf)


@router.get("/billing/receipts/{receipt_number}")
def receipt_pdf(request: Request, user: SignedIn, receipt_number: str) -> Response:
    settings = request.app.state.settings
    with UnitOfWork(request.app.state.engine, write=False) as uow:
        pdf = receipt_pdf_for(
            uow, user.id, receipt_number, tz=settings.timezone, provider=configured_provider(settings)
        )
    return _pdf_answer(request, pdf)


def _pdf_answer(request: Request, pdf: PdfFile) -> Response:
    headers = {"ETag": pdf.etag, "Cache-Control": "private, no-cache"}
    if pdf.matches(request.headers.get("if-none-match")):
        return Response(status_code=304, headers=headers)
    headers["Content-Disposition"] = f'attachment; filename="{pdf.filename}"'
    return Response(pdf.content, media_type="application/pdf", headers=headers)
