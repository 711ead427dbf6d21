"""The unit of work: one database transaction and the stores that work inside it.

The caller owns the transaction: `with UnitOfWork(engine) as uow: …` commits when the block ends
and rolls back when it raises. DESIGN §9 puts this in db.py; it lives beside it because it knows
every feature's store, and db.py must not (the stores import db.py)."""

from __future__ import annotations

from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from settle.access.operator_store import OperatorStore
from settle.access.reset_store import PasswordResetStore, ResetRequestStore
from settle.access.session_store import SessionStore, SignInFailureStore
from settle.access.store import AuditStore, PendingRoleStore, RoleAssignmentStore
from settle.access.token_store import ApiTokenStore, InvitationStore
from settle.access.verification_store import EmailVerificationStore
from settle.accounts.store import BillingAccountStore, BillingProfileStore, InvoiceSectionStore, UserStore
from settle.db import sqlite_writer_lock
from settle.help.store import SupportRequestStore
from settle.invoices.store import InvoiceStore
from settle.leases import LeaseStore
from settle.notify.store import OutboxStore
from settle.notify.webhooks.store import WebhookStore
from settle.payments.autopay_store import AutopayStore
from settle.payments.refund_store import RefundStore
from settle.payments.store import PaymentMethodStore, PaymentStore


class UnitOfWork:
    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        self.engine = engine
        self.write = write

    def __enter__(self) -> UnitOfWork:
        self._writer_lock = sqlite_writer_lock(self.engine) if self.write else None
        if self._writer_lock is not None:
            self._writer_lock.acquire()
        try:
            self.connection = self.engine.connect().execution_options(settle_write=self.write)
            try:
                self.transaction = self.connection.begin()
            except BaseException:
                self.connection.close()
                raise
        except BaseException:
            self._release()
            raise
        self._bind(self.connection)
        return self

    def _bind(self, connection: sa.Connection) -> None:
        self.users = UserStore(connection)
        self.accounts = BillingAccountStore(connection)
        self.profiles = BillingProfileStore(connection)
        self.sections = InvoiceSectionStore(connection)
        self.invoices = InvoiceStore(connection)
        self.payment_methods = PaymentMethodStore(connection)
        self.payments = PaymentStore(connection)
        self.roles = RoleAssignmentStore(connection)
        self.pending_roles = PendingRoleStore(connection)
        self.audit = AuditStore(connection)
        self.sessions = SessionStore(connection)
        self.sign_in_failures = SignInFailureStore(connection)
        self.password_resets = PasswordResetStore(connection)
        self.reset_requests = ResetRequestStore(connection)
        self.api_tokens = ApiTokenStore(connection)
        self.invitations = InvitationStore(connection)
        self.email_verifications = EmailVerificationStore(connection)
        self.outbox = OutboxStore(connection)
        self.support_requests = SupportRequestStore(connection)
        self.autopay = AutopayStore(connection)
        self.refunds = RefundStore(connection)
        self.leases = LeaseStore(connection)
        self.webhooks = WebhookStore(connection)
        self.operators = OperatorStore(connection)

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        try:
            if kind is None and self.transaction.is_active:
                self.transaction.commit()
            elif self.transaction.is_active:
                self.transaction.rollback()
        finally:
            self.connection.close()
            self._release()

    def _release(self) -> None:
        if self._writer_lock is not None:
            self._writer_lock.release()
            self._writer_lock = None

    def commit(self) -> None:
        """Commit what was done so far and go on in a new transaction."""
        self.transaction.commit()
        self.transaction = self.connection.begin()
