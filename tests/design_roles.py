"""DESIGN §3's role table, written out by hand (never read from ROLE_PERMISSIONS), for the tests
that check the policy and the Azure actions against it."""

from __future__ import annotations

from settle.access.model import Role

YES, NO = True, False
# Where the role is held; view invoices, pay invoices, manage payment methods, manage roles.
DESIGN_TABLE = {
    Role.BILLING_ACCOUNT_OWNER: ("account", YES, YES, YES, YES),
    Role.BILLING_ACCOUNT_CONTRIBUTOR: ("account", YES, YES, YES, NO),
    Role.BILLING_ACCOUNT_READER: ("account", YES, NO, NO, NO),
    Role.BILLING_PROFILE_OWNER: ("profile", YES, YES, YES, YES),
    Role.BILLING_PROFILE_CONTRIBUTOR: ("profile", YES, YES, YES, NO),
    Role.BILLING_PROFILE_READER: ("profile", YES, NO, NO, NO),
    Role.INVOICE_MANAGER: ("profile", YES, YES, NO, NO),
    Role.INVOICE_SECTION_OWNER: ("section", NO, NO, NO, YES),
    Role.INVOICE_SECTION_CONTRIBUTOR: ("section", NO, NO, NO, NO),
    Role.INVOICE_SECTION_READER: ("section", NO, NO, NO, NO),
}
