"""Every table, registered on settle.db.metadata (Alembic and the tests import this)."""

from settle import leases
from settle.access import operator_store as access_operator_store
from settle.access import reset_store as access_reset_store
from settle.access import session_store as access_session_store
from settle.access import store as access_store
from settle.access import token_store as access_token_store
from settle.access import verification_store as access_verification_store
from settle.accounts import store as accounts_store
from settle.db import metadata
from settle.help import store as help_store
from settle.invoices import store as invoices_store
from settle.notify import store as notify_store
from settle.notify.webhooks import store as webhooks_store
from settle.payments import autopay_store as payments_autopay_store
from settle.payments import refund_store as payments_refund_store
from settle.payments import store as payments_store

__all__ = [
    "access_operator_store",
    "access_reset_store",
    "access_session_store",
    "access_store",
    "access_token_store",
    "access_verification_store",
    "accounts_store",
    "help_store",
    "invoices_store",
    "leases",
    "metadata",
    "notify_store",
    "payments_autopay_store",
    "payments_refund_store",
    "payments_store",
    "webhooks_store",
]
