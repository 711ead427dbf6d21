"""Use cases of invoices: importing them from the provider, listing, showing and voiding them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from settle.access.model import Permission, Scope, can, require
from settle.access.service import record, scope_not_found, visible_profile_ids
from settle.accounts.scopes import assignments_seeing
from settle.clock import Clock, today
from settle.errors import N_, Invalid
from settle.invoices.intake import BadRecord, ProfileFacts, RawInvoice, build_invoice
from settle.invoices.model import Invoice, InvoiceHasPayments, InvoiceNotFound, InvoiceQuery, InvoiceStatus
from settle.notify.service import enqueue_invoices_issued
from settle.uow import UnitOfWork

IMPORT_BATCH = 1000
ANALYZE_AFTER = 10_000  # invoices imported at once: enough to change how PostgreSQL should plan their lists


@dataclass
class ImportReport:
    imported: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)

    @property
    def rejected(self) -> int:
        return len(self.errors)


def import_invoices(
    uow: UnitOfWork,
    clock: Clock,
    records: Iterable[RawInvoice],
    *,
    skip_invalid: bool = False,
    on_record: Callable[[RawInvoice], None] | None = None,
) -> ImportReport:
    """Check every record and insert the good ones in the caller's transaction. A file with any bad
    record raises ImportRejected (so the transaction rolls back and nothing is imported) unless
    `skip_invalid`; the report names each bad record's line and reason."""
    report = ImportReport()
    facts: dict[str, ProfileFacts | None] = {}
    seen: set[str] = set()
    batch: list[tuple[int, Invoice]] = []
    for raw in records:
        try:
            invoice = build_invoice(raw, _facts(uow, facts, raw), clock.now())
            if invoice.id in seen:
                raise BadRecord(f"invoice number {invoice.id} appears twice in the file")
            seen.add(invoice.id)
            batch.append((raw.line, invoice))
        except BadRecord as problem:
            report.errors.append((raw.line, str(problem)))
        if len(batch) >= IMPORT_BATCH:
            _insert(uow, clock, batch, report, skip_invalid=skip_invalid)
            batch = []
        if on_record is not None:
            on_record(raw)
    _insert(uow, clock, batch, report, skip_invalid=skip_invalid)
    report.errors.sort()
    if report.errors and not skip_invalid:
        raise ImportRejected(report)
    record(uow, clock, None, "invoices.imported", "invoices", details={"count": str(report.imported)})
    if report.imported >= ANALYZE_AFTER:
        uow.invoices.refresh_statistics()
    return report


class ImportRejected(Invalid):
    code = "ImportRejected"
    message = N_("{count} bad record(s): nothing was imported.")

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(count=report.rejected)


def _facts(uow: UnitOfWork, cache: dict[str, ProfileFacts | None], raw: RawInvoice) -> ProfileFacts:
    profile_id = raw.fields.get("billing_profile")
    if raw.problem is not None:
        raise BadRecord(raw.problem)
    if not isinstance(profile_id, str) or not profile_id.strip():
        raise BadRecord("'billing_profile' is missing")
    profile_id = profile_id.strip()
    if profile_id not in cache:
        profile = uow.profiles.find(profile_id)
        cache[profile_id] = (
            None
            if profile is None
            else ProfileFacts(
                billing_account_id=profile.billing_account_id,
                currency=profile.currency,
                payment_terms_days=profile.payment_terms_days,
                section_ids=frozenset(section.id for section in uow.sections.list_for_profile(profile.id)),
            )
        )
    found = cache[profile_id]
    if found is None:
        raise BadRecord(f"billing profile '{profile_id}' does not exist")
    return found


def _insert(
    uow: UnitOfWork, clock: Clock, batch: list[tuple[int, Invoice]], report: ImportReport, *, skip_invalid: bool
) -> None:
    """Refuse the batch's invoices whose numbers the database already has, then insert the rest;
    once the import is bound to be rejected, only go on checking."""
    taken = uow.invoices.existing_numbers(invoice.id for _, invoice in batch)
    report.errors.extend(
        (line, f"invoice number {invoice.id} already exists") for line, invoice in batch if invoice.id in taken
    )
    fresh = [invoice for _, invoice in batch if invoice.id not in taken]
    if skip_invalid or not report.errors:
        uow.invoices.add_many(fresh)
        enqueue_invoices_issued(uow, clock, fresh)  # each bill-to hears of its invoice, once
        report.imported += len(fresh)


def void_invoice(
    uow: UnitOfWork, clock: Clock, number: str, *, actor_id: str | None = None, reason: str = ""
) -> Invoice:
    """Cancel an invoice nothing was paid on (operators; the provider issues a corrected one)."""
    invoice = uow.invoices.get(number, for_update=True)
    if uow.payments.in_flight_invoices([invoice.id]):
        raise InvoiceHasPayments(number=invoice.id)
    voided = invoice.voided(clock.now())
    uow.invoices.update(voided)
    record(uow, clock, actor_id, "invoice.voided", f"invoices/{number}", details={"reason": reason} if reason else None)
    return voided


@dataclass(frozen=True)
class InvoiceRow:
    """An invoice as a list shows it: with the status of today and whether a payment is in flight."""

    invoice: Invoice
    status: InvoiceStatus


def list_invoices(uow: UnitOfWork, clock: Clock, query: InvoiceQuery, tz: str = "UTC") -> list[InvoiceRow]:
    """A page of invoices of the query's billing profiles (the caller has narrowed them to what
    the user may see: see `visible_invoice_query`)."""
    day = today(clock, tz)
    invoices = uow.invoices.page(query, day)
    in_flight = uow.payments.in_flight_invoices(invoice.id for invoice in invoices)
    return [InvoiceRow(invoice, invoice.display_status(day, invoice.id in in_flight)) for invoice in invoices]


def profiles_with_invoices_for(uow: UnitOfWork, user_id: str, account_id: str | None = None) -> frozenset[str]:
    """The billing profiles whose invoices the user may see."""
    return frozenset(visible_profile_ids(uow, user_id, Permission.VIEW_INVOICES, account_id))


def get_invoice_for(uow: UnitOfWork, user_id: str, number: str) -> Invoice:
    """The invoice, if the user may see it; otherwise InvoiceNotFound, exactly as if it did not exist."""
    invoice = uow.invoices.find(number)
    if invoice is None:
        raise InvoiceNotFound(id=number)
    scope = Scope(invoice.billing_account_id, invoice.billing_profile_id)
    if not can(uow.roles.for_user(user_id), Permission.VIEW_INVOICES, scope):
        raise InvoiceNotFound(id=number)
    return invoice


def invoice_profiles_at(uow: UnitOfWork, user_id: str, scope: Scope) -> frozenset[str]:
    """The billing profiles of `scope` (an account or one of its profiles) whose invoices the user may
    list: the scope's NotFound when they cannot see it at all, Forbidden at a profile they see but
    whose invoices they may not."""
    held = assignments_seeing(uow, user_id, scope)
    if scope.billing_profile_id is None:
        return profiles_with_invoices_for(uow, user_id, scope.billing_account_id)
    require(held, Permission.VIEW_INVOICES, scope, not_found=scope_not_found(scope))
    return frozenset({scope.billing_profile_id})


def get_invoice_at(uow: UnitOfWork, user_id: str, scope: Scope, number: str) -> Invoice:
    """An invoice of the account or profile `scope`, if the user may see it; otherwise InvoiceNotFound."""
    invoice = get_invoice_for(uow, user_id, number)
    if not scope.contains(Scope(invoice.billing_account_id, invoice.billing_profile_id)):
        raise InvoiceNotFound(id=number)
    return invoice


@dataclass(frozen=True)
class InvoiceCharges:
    """An invoice with the names its charge lines are shown under."""

    invoice: Invoice
    profile_name: str
    section_names: dict[str, str]


def invoice_charges_at(uow: UnitOfWork, user_id: str, scope: Scope, number: str) -> InvoiceCharges:
    """An invoice of the account or profile `scope` with its billing profile's and invoice sections' names,
    if the user may see it; otherwise InvoiceNotFound."""
    invoice = get_invoice_at(uow, user_id, scope, number)
    profile = uow.profiles.get(invoice.billing_profile_id)
    sections = {section.id: section.display_name for section in uow.sections.list_for_profile(profile.id)}
    return InvoiceCharges(invoice, profile.display_name, sections)
