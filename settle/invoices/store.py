"""Tables and queries for invoices and their lines."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from settle.db import UTCDateTime, among, is_postgres, metadata
from settle.invoices.model import (
    Invoice,
    InvoiceLine,
    InvoiceNotFound,
    InvoiceOrder,
    InvoiceQuery,
    InvoiceStatus,
    OpenBalance,
)
from settle.money import Money

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", sa.String(20), primary_key=True),
    sa.Column("billing_account_id", sa.ForeignKey("billing_accounts.id"), nullable=False),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id"), nullable=False),
    sa.Column("invoice_date", sa.Date, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("period_start", sa.Date, nullable=False),
    sa.Column("period_end", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("subtotal_minor", sa.BigInteger, nullable=False),
    sa.Column("credits_minor", sa.BigInteger, nullable=False),
    sa.Column("tax_minor", sa.BigInteger, nullable=False),
    sa.Column("tax_rate", sa.String(12), nullable=False),  # exact decimal text
    sa.Column("total_minor", sa.BigInteger, nullable=False),
    sa.Column("amount_due_minor", sa.BigInteger, nullable=False),
    sa.Column("voided_at", UTCDateTime),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("amount_due_minor >= 0 AND amount_due_minor <= total_minor", name="amount_due_in_range"),
    # A profile's (or account's) invoices newest first, a page at a time, at a million rows.
    sa.Index("ix_invoices_profile_date", "billing_profile_id", "invoice_date", "id"),
    sa.Index("ix_invoices_account_date", "billing_account_id", "invoice_date", "id"),
    # The few open invoices (Due, Past due, Partially paid) among many paid ones.
    sa.Index(
        "ix_invoices_open",
        "billing_profile_id",
        "due_date",
        sqlite_where=sa.text("voided_at IS NULL AND amount_due_minor > 0"),
        postgresql_where=sa.text("voided_at IS NULL AND amount_due_minor > 0"),
    ),
)

invoice_lines = sa.Table(
    "invoice_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("invoice_id", sa.ForeignKey("invoices.id"), nullable=False, index=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("invoice_section_id", sa.ForeignKey("invoice_sections.id"), nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("quantity", sa.String(32), nullable=False),  # exact decimal text
    sa.Column("amount_minor", sa.BigInteger, nullable=False),
)


def _invoice_values(invoice: Invoice) -> dict[str, Any]:
    return {
        "id": invoice.id,
        "billing_account_id": invoice.billing_account_id,
        "billing_profile_id": invoice.billing_profile_id,
        "invoice_date": invoice.invoice_date,
        "due_date": invoice.due_date,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "currency": invoice.currency,
        "subtotal_minor": invoice.subtotal.minor,
        "credits_minor": invoice.credits.minor,
        "tax_minor": invoice.tax.minor,
        "tax_rate": str(invoice.tax_rate),
        "total_minor": invoice.total.minor,
        "amount_due_minor": invoice.amount_due.minor,
        "voided_at": invoice.voided_at,
        "created_at": invoice.created_at,
    }


_INVOICE_COLUMNS = (
    "id",
    "billing_account_id",
    "billing_profile_id",
    "invoice_date",
    "due_date",
    "period_start",
    "period_end",
    "currency",
    "subtotal_minor",
    "credits_minor",
    "tax_minor",
    "tax_rate",
    "total_minor",
    "amount_due_minor",
    "voided_at",
    "created_at",
)
_COPY_INVOICES = f"COPY invoices ({', '.join(_INVOICE_COLUMNS)}) FROM STDIN"
_COPY_LINES = (
    "COPY invoice_lines (invoice_id, position, invoice_section_id, description, quantity, amount_minor) FROM STDIN"
)


def _invoice_row(invoice: Invoice) -> tuple[Any, ...]:
    """_invoice_values's values in _INVOICE_COLUMNS's order (timestamps are timezone-aware UTC already)."""
    return (
        invoice.id,
        invoice.billing_account_id,
        invoice.billing_profile_id,
        invoice.invoice_date,
        invoice.due_date,
        invoice.period_start,
        invoice.period_end,
        invoice.currency,
        invoice.subtotal.minor,
        invoice.credits.minor,
        invoice.tax.minor,
        str(invoice.tax_rate),
        invoice.total.minor,
        invoice.amount_due.minor,
        invoice.voided_at,
        invoice.created_at,
    )


def _line_values(invoice: Invoice) -> list[dict[str, Any]]:
    return [
        {
            "invoice_id": invoice.id,
            "position": position,
            "invoice_section_id": line.invoice_section_id,
            "description": line.description,
            "quantity": str(line.quantity),
            "amount_minor": line.amount.minor,
        }
        for position, line in enumerate(invoice.lines)
    ]


def _invoice(row: Any, lines: list[InvoiceLine]) -> Invoice:
    currency = row.currency

    def money(minor: int) -> Money:
        return Money(minor, currency)

    return Invoice(
        id=row.id,
        billing_account_id=row.billing_account_id,
        billing_profile_id=row.billing_profile_id,
        invoice_date=row.invoice_date,
        due_date=row.due_date,
        period_start=row.period_start,
        period_end=row.period_end,
        currency=currency,
        lines=tuple(lines),
        subtotal=money(row.subtotal_minor),
        credits=money(row.credits_minor),
        tax=money(row.tax_minor),
        total=money(row.total_minor),
        amount_due=money(row.amount_due_minor),
        created_at=row.created_at,
        tax_rate=Decimal(row.tax_rate),
        voided_at=row.voided_at,
    )


def _line(row: Any, currency: str) -> InvoiceLine:
    return InvoiceLine(
        invoice_section_id=row.invoice_section_id,
        description=row.description,
        amount=Money(row.amount_minor, currency),
        quantity=Decimal(row.quantity),
    )


def status_condition(status: InvoiceStatus, today: date) -> sa.ColumnElement[bool]:
    """The SQL twin of Invoice.status: rows whose derived status is `status` on `today`."""
    c = invoices.c
    open_unpaid = sa.and_(c.voided_at.is_(None), c.amount_due_minor > 0, c.amount_due_minor == c.total_minor)
    conditions = {
        InvoiceStatus.VOID: c.voided_at.is_not(None),
        InvoiceStatus.PAID: sa.and_(c.voided_at.is_(None), c.amount_due_minor == 0),
        InvoiceStatus.PARTIALLY_PAID: sa.and_(
            c.voided_at.is_(None), c.amount_due_minor > 0, c.amount_due_minor < c.total_minor
        ),
        InvoiceStatus.PAST_DUE: sa.and_(open_unpaid, c.due_date < today),
        InvoiceStatus.DUE: sa.and_(open_unpaid, c.due_date >= today),
    }
    return conditions[status]


_WITH_LINES = (
    sa.select(
        invoices,
        invoice_lines.c.invoice_section_id.label("line_section"),
        invoice_lines.c.description.label("line_description"),
        invoice_lines.c.quantity.label("line_quantity"),
        invoice_lines.c.amount_minor.label("line_amount"),
    )
    .select_from(invoices.outerjoin(invoice_lines, invoice_lines.c.invoice_id == invoices.c.id))
    .where(invoices.c.id == sa.bindparam("number"))
    .order_by(invoice_lines.c.position)
)
_LOCK_WITH_LINES = _WITH_LINES.with_for_update(of=invoices)


class InvoiceStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add_many(self, new: Iterable[Invoice]) -> int:
        """Insert invoices with their lines, in batches; returns how many."""
        batch = list(new)
        if not batch:
            return 0
        if is_postgres(self.connection):
            self._copy(batch)
            return len(batch)
        self.connection.execute(invoices.insert(), [_invoice_values(invoice) for invoice in batch])
        lines = [values for invoice in batch for values in _line_values(invoice)]
        self.connection.execute(invoice_lines.insert(), lines)
        return len(batch)

    def _copy(self, batch: list[Invoice]) -> None:
        """PostgreSQL: COPY the invoices and their lines in, in this transaction (several times faster
        than INSERTs of many rows: no statement to parse and plan, rows streamed as they are made)."""
        cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(_COPY_INVOICES) as copy:
            for invoice in batch:
                copy.write_row(_invoice_row(invoice))
        with cursor.copy(_COPY_LINES) as copy:
            for invoice in batch:
                for position, line in enumerate(invoice.lines):
                    copy.write_row(
                        (
                            invoice.id,
                            position,
                            line.invoice_section_id,
                            line.description,
                            str(line.quantity),
                            line.amount.minor,
                        )
                    )
        cursor.close()

    def add(self, invoice: Invoice) -> None:
        self.add_many([invoice])

    def update(self, invoice: Invoice) -> None:
        """Store what may change after issue: the amount due and whether it is void."""
        query = invoices.update().where(invoices.c.id == invoice.id)
        self.connection.execute(query.values(amount_due_minor=invoice.amount_due.minor, voided_at=invoice.voided_at))

    def find(self, number: str, *, for_update: bool = False) -> Invoice | None:
        """The invoice with its lines, in one round trip (a row per line)."""
        query = _LOCK_WITH_LINES if for_update and is_postgres(self.connection) else _WITH_LINES
        rows = self.connection.execute(query, {"number": number}).all()
        if not rows:
            return None
        currency = rows[0].currency
        lines = [
            InvoiceLine(
                row.line_section, row.line_description, Money(row.line_amount, currency), Decimal(row.line_quantity)
            )
            for row in rows
            if row.line_section is not None
        ]
        return _invoice(rows[0], lines)

    def get(self, number: str, *, for_update: bool = False) -> Invoice:
        """The invoice; with for_update, locked until the transaction ends (PostgreSQL row lock;
        SQLite's write transaction already holds the database lock)."""
        invoice = self.find(number, for_update=for_update)
        if invoice is None:
            raise InvoiceNotFound(id=number)
        return invoice

    def has_unpaid(self, billing_profile_id: str) -> bool:
        """Whether the profile has an invoice with something still to pay (not void)."""
        c = invoices.c
        query = sa.select(c.id).where(
            c.billing_profile_id == billing_profile_id, c.voided_at.is_(None), c.amount_due_minor > 0
        )
        return self.connection.execute(query.limit(1)).first() is not None

    def existing_numbers(self, numbers: Iterable[str]) -> set[str]:
        wanted = list(numbers)
        found: set[str] = set()
        if is_postgres(self.connection):  # one array parameter: no statement with 1,000 placeholders to parse
            any_of = invoices.c.id == sa.any_(sa.bindparam("numbers", wanted, type_=postgresql.ARRAY(sa.String)))
            return set(self.connection.scalars(sa.select(invoices.c.id).where(any_of)))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(self.connection.scalars(sa.select(invoices.c.id).where(invoices.c.id.in_(chunk))))
        return found

    def page(self, query: InvoiceQuery, today: date) -> list[Invoice]:
        """One page of invoices in the query's order (newest first by default), by keyset on (that column, number)."""
        c = invoices.c
        if not query.billing_profile_ids:
            return []
        column = {
            InvoiceOrder.INVOICE_DATE: c.invoice_date,
            InvoiceOrder.DUE_DATE: c.due_date,
            InvoiceOrder.AMOUNT_DUE: c.amount_due_minor,
            InvoiceOrder.NUMBER: c.id,
        }[query.order]
        select = invoices.select().where(*_matching(query, today))
        key = sa.tuple_(column, c.id)
        if query.after is not None:
            after = sa.tuple_(sa.literal(query.after[0], column.type), sa.literal(query.after[1]))
            select = select.where(key > after if query.oldest_first else key < after)
        order = (column, c.id) if query.oldest_first else (column.desc(), c.id.desc())
        rows = self.connection.execute(select.order_by(*order).limit(query.limit)).all()
        lines = self._lines({row.id: row.currency for row in rows})
        return [_invoice(row, lines[row.id]) for row in rows]

    def totals_due(self, query: InvoiceQuery, today: date) -> list[Money]:
        """The amount due of every invoice the query matches (all its pages), one sum per currency."""
        c = invoices.c
        if not query.billing_profile_ids:
            return []
        select = (
            sa.select(c.currency, sa.func.sum(c.amount_due_minor))
            .where(*_matching(query, today))
            .group_by(c.currency)
            .order_by(c.currency)
        )
        return [Money(int(minor or 0), currency) for currency, minor in self.connection.execute(select)]

    def numbers_starting_with(self, billing_profile_ids: Iterable[str], prefix: str, limit: int) -> list[str]:
        """Invoice numbers of these billing profiles that begin with `prefix` (the search box)."""
        ids = sorted(billing_profile_ids)
        if not ids or not prefix:
            return []
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        select = (
            sa.select(invoices.c.id)
            .where(invoices.c.billing_profile_id.in_(ids), invoices.c.id.like(f"{escaped}%", escape="\\"))
            .order_by(invoices.c.id.desc())
            .limit(limit)
        )
        return list(self.connection.scalars(select))

    def open_balances(self, billing_profile_ids: Iterable[str], today: date) -> dict[str, OpenBalance]:
        """Per billing profile: the amount due on its open invoices, the next due date and how many
        are past due (one grouped query over the partial index of open invoices)."""
        c = invoices.c
        ids = sorted(billing_profile_ids)
        if not ids:
            return {}
        select = (
            sa.select(
                c.billing_profile_id,
                c.currency,
                sa.func.sum(c.amount_due_minor),
                sa.func.count(),
                sa.func.min(sa.case((c.due_date >= today, c.due_date))),
                sa.func.sum(sa.case((c.due_date < today, 1), else_=0)),
            )
            .where(c.billing_profile_id.in_(ids), c.voided_at.is_(None), c.amount_due_minor > 0)
            .group_by(c.billing_profile_id, c.currency)
        )
        return {
            row[0]: OpenBalance(Money(int(row[2]), row[1]), int(row[3]), row[4], int(row[5] or 0))
            for row in self.connection.execute(select)
        }

    def count(self, billing_profile_ids: Iterable[str] | None = None) -> int:
        select = sa.select(sa.func.count()).select_from(invoices)
        if billing_profile_ids is not None:
            select = select.where(invoices.c.billing_profile_id.in_(sorted(billing_profile_ids)))
        return int(self.connection.scalar(select) or 0)

    def _lines(self, currencies: dict[str, str]) -> dict[str, list[InvoiceLine]]:
        """The lines of these invoices (number → its currency), in order."""
        found: dict[str, list[InvoiceLine]] = defaultdict(list)
        if not currencies:
            return found
        query = (
            invoice_lines.select()
            .where(among(self.connection, invoice_lines.c.invoice_id, currencies))
            .order_by(invoice_lines.c.invoice_id, invoice_lines.c.position)
        )
        for row in self.connection.execute(query):
            found[row.invoice_id].append(_line(row, currencies[row.invoice_id]))
        return found

    def refresh_statistics(self) -> None:
        """After a bulk load: PostgreSQL's planner statistics of the invoices, now rather than whenever
        autovacuum gets to them (until then it may plan a page of 50 as a scan of every row)."""
        if is_postgres(self.connection):
            self.connection.exec_driver_sql("ANALYZE invoices, invoice_lines")


def _matching(query: InvoiceQuery, today: date) -> list[sa.ColumnElement[bool]]:
    """The conditions of a query's filter (its profiles, statuses and dates), without paging."""
    c = invoices.c
    conditions: list[sa.ColumnElement[bool]] = [c.billing_profile_id.in_(sorted(query.billing_profile_ids))]
    if query.statuses:
        conditions.append(sa.or_(*(status_condition(status, today) for status in query.statuses)))
    for column, bound, above in (
        (c.invoice_date, query.invoice_date_from, True),
        (c.invoice_date, query.invoice_date_to, False),
        (c.due_date, query.due_date_from, True),
        (c.due_date, query.due_date_to, False),
    ):
        if bound is not None:
            conditions.append(column >= bound if above else column <= bound)
    return conditions
