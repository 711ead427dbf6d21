"""Tables and queries for users, billing accounts, billing profiles and invoice sections."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from settle.accounts.model import (
    AccountStatus,
    Address,
    AgreementType,
    BillingAccount,
    BillingAccountNotFound,
    BillingProfile,
    BillingProfileNotFound,
    InvoiceSection,
    InvoiceSectionNotFound,
    User,
    UserNotFound,
)
from settle.db import UTCDateTime, metadata

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("email", sa.String(254), nullable=False, unique=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("locale", sa.String(5)),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("email_verified_at", UTCDateTime),  # NULL: the address is not proved (yet)
)

billing_accounts = sa.Table(
    "billing_accounts",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("agreement_type", sa.String(40), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("sold_to", sa.JSON, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

billing_profiles = sa.Table(
    "billing_profiles",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("billing_account_id", sa.ForeignKey("billing_accounts.id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("bill_to", sa.JSON, nullable=False),
    sa.Column("invoice_email", sa.String(254), nullable=False),
    sa.Column("invoice_language", sa.String(5), nullable=False),
    sa.Column("payment_terms_days", sa.Integer, nullable=False),
    # No foreign key: payment methods live in the payments feature, which points at profiles.
    sa.Column("default_payment_method_id", sa.String(32)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("autopay_since", sa.Date),  # NULL: automatic payment is off
)

invoice_sections = sa.Table(
    "invoice_sections",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id"), nullable=False, index=True),
    sa.Column("display_name", sa.String(200), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)


# Built once: the lookups by id every request makes (a statement built per call costs as much as its round trip).
_USER = users.select().where(users.c.id == sa.bindparam("id"))
_ACCOUNT = billing_accounts.select().where(billing_accounts.c.id == sa.bindparam("id"))
_PROFILE = billing_profiles.select().where(billing_profiles.c.id == sa.bindparam("id"))


def _user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        password_hash=row.password_hash,
        created_at=row.created_at,
        locale=row.locale,
        disabled=row.disabled,
        email_verified_at=row.email_verified_at,
    )


def _account(row: Any) -> BillingAccount:
    return BillingAccount(
        id=row.id,
        display_name=row.display_name,
        agreement_type=AgreementType(row.agreement_type),
        status=AccountStatus(row.status),
        sold_to=Address(**row.sold_to),
        created_at=row.created_at,
    )


def _profile(row: Any) -> BillingProfile:
    return BillingProfile(
        id=row.id,
        billing_account_id=row.billing_account_id,
        display_name=row.display_name,
        currency=row.currency,
        bill_to=Address(**row.bill_to),
        invoice_email=row.invoice_email,
        invoice_language=row.invoice_language,
        payment_terms_days=row.payment_terms_days,
        default_payment_method_id=row.default_payment_method_id,
        created_at=row.created_at,
        autopay_since=row.autopay_since,
    )


def _section(row: Any) -> InvoiceSection:
    return InvoiceSection(
        id=row.id,
        billing_profile_id=row.billing_profile_id,
        display_name=row.display_name,
        created_at=row.created_at,
    )


class UserStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, user: User) -> None:
        self.connection.execute(users.insert().values(**asdict(user)))

    def update(self, user: User) -> None:
        self.connection.execute(users.update().where(users.c.id == user.id).values(**asdict(user)))

    def set_locale(self, user_id: str, locale: str | None) -> None:
        self.connection.execute(users.update().where(users.c.id == user_id).values(locale=locale))

    def mark_verified(self, user_id: str, email: str, verified_at: datetime) -> bool:
        """Note the address proved, if the user still has `email` and was not verified already."""
        c = users.c
        query = users.update().where(c.id == user_id, c.email == email, c.email_verified_at.is_(None))
        return self.connection.execute(query.values(email_verified_at=verified_at)).rowcount == 1

    def find(self, user_id: str) -> User | None:
        row = self.connection.execute(_USER, {"id": user_id}).first()
        return _user(row) if row else None

    def get(self, user_id: str) -> User:
        user = self.find(user_id)
        if user is None:
            raise UserNotFound(id=user_id)
        return user

    def find_by_email(self, email: str) -> User | None:
        row = self.connection.execute(users.select().where(users.c.email == email)).first()
        return _user(row) if row else None

    def get_by_email(self, email: str) -> User:
        user = self.find_by_email(email)
        if user is None:
            raise UserNotFound(id=email)
        return user

    def list(self) -> list[User]:
        return [_user(row) for row in self.connection.execute(users.select().order_by(users.c.email))]


class BillingAccountStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, account: BillingAccount) -> None:
        values = asdict(account)
        self.connection.execute(billing_accounts.insert().values(**values))

    def find(self, account_id: str) -> BillingAccount | None:
        row = self.connection.execute(_ACCOUNT, {"id": account_id}).first()
        return _account(row) if row else None

    def get(self, account_id: str) -> BillingAccount:
        account = self.find(account_id)
        if account is None:
            raise BillingAccountNotFound(id=account_id)
        return account

    def find_by_name(self, display_name: str) -> BillingAccount | None:
        query = billing_accounts.select().where(billing_accounts.c.display_name == display_name)
        row = self.connection.execute(query.order_by(billing_accounts.c.created_at)).first()
        return _account(row) if row else None

    def list(self, ids: set[str] | None = None) -> list[BillingAccount]:
        query = billing_accounts.select().order_by(billing_accounts.c.display_name, billing_accounts.c.id)
        if ids is not None:
            query = query.where(billing_accounts.c.id.in_(sorted(ids)))
        return [_account(row) for row in self.connection.execute(query)]


class BillingProfileStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, profile: BillingProfile) -> None:
        self.connection.execute(billing_profiles.insert().values(**asdict(profile)))

    def update(self, profile: BillingProfile) -> None:
        query = billing_profiles.update().where(billing_profiles.c.id == profile.id)
        self.connection.execute(query.values(**asdict(profile)))

    def find(self, profile_id: str) -> BillingProfile | None:
        row = self.connection.execute(_PROFILE, {"id": profile_id}).first()
        return _profile(row) if row else None

    def get(self, profile_id: str) -> BillingProfile:
        profile = self.find(profile_id)
        if profile is None:
            raise BillingProfileNotFound(id=profile_id)
        return profile

    def list_for_account(self, account_id: str) -> list[BillingProfile]:
        query = billing_profiles.select().where(billing_profiles.c.billing_account_id == account_id)
        query = query.order_by(billing_profiles.c.display_name, billing_profiles.c.id)
        return [_profile(row) for row in self.connection.execute(query)]


class InvoiceSectionStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, section: InvoiceSection) -> None:
        self.connection.execute(invoice_sections.insert().values(**asdict(section)))

    def find(self, section_id: str) -> InvoiceSection | None:
        row = self.connection.execute(invoice_sections.select().where(invoice_sections.c.id == section_id)).first()
        return _section(row) if row else None

    def get(self, section_id: str) -> InvoiceSection:
        section = self.find(section_id)
        if section is None:
            raise InvoiceSectionNotFound(id=section_id)
        return section

    def list_for_profile(self, profile_id: str) -> list[InvoiceSection]:
        query = invoice_sections.select().where(invoice_sections.c.billing_profile_id == profile_id)
        query = query.order_by(invoice_sections.c.display_name, invoice_sections.c.id)
        return [_section(row) for row in self.connection.execute(query)]
