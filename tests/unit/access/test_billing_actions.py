"""checkAccess speaks Azure's Microsoft.Billing action names; each is decided by DESIGN §3's table.

The table is written out here again, independently of ROLE_PERMISSIONS and BILLING_ACTIONS."""

from typing import Any

import pytest

from settle.access.model import BILLING_ACTIONS, Role, Scope, ScopeKind, allowed_actions, check_actions
from tests.design_roles import DESIGN_TABLE
from tests.unit.factories import assignment

BA = "Microsoft.Billing/billingAccounts"
BP = f"{BA}/billingProfiles"
IS = f"{BP}/invoiceSections"
ACCOUNT, P1, S1 = Scope("ACC-A"), Scope("ACC-A", "P1"), Scope("ACC-A", "P1", "S1")
HELD_AT = {"account": ACCOUNT, "profile": P1, "section": S1}
# The Azure actions that stand for each column, asked at the scope where the role is held.
VIEW_INVOICES = [f"{BP}/invoices/read", f"{BP}/invoices/download/action", f"{BP}/paymentMethodLinks/read"]
PAY = [f"{BP}/invoices/pay/action", f"{BP}/invoices/paynow/write", f"{BP}/invoices/validatePaynowEligibility/write"]
MANAGE_PAYMENT_METHODS = [f"{BP}/paymentMethodLinks/write"]
MANAGE_ROLES = {
    "account": [f"{BA}/billingRoleAssignments/write", f"{BA}/billingRoleAssignments/read"],
    "profile": [f"{BP}/createBillingRoleAssignment/write", f"{BP}/billingRoleAssignments/delete"],
    "section": [f"{IS}/createBillingRoleAssignment/write", f"{IS}/resolveBillingRoleAssignments/write"],
}


def _cases() -> list[Any]:
    cases = []
    for role, (level, view, pay, methods, roles) in DESIGN_TABLE.items():
        columns = [(VIEW_INVOICES, view), (PAY, pay), (MANAGE_PAYMENT_METHODS, methods), (MANAGE_ROLES[level], roles)]
        for actions, allowed in columns:
            cases += [pytest.param(role, level, action, allowed, id=f"{role}-{action}") for action in actions]
    return cases


@pytest.mark.parametrize(("role", "level", "action", "allowed"), _cases())
def test_each_action_follows_the_design_table_where_the_role_is_held(
    role: Role, level: str, action: str, allowed: bool
) -> None:
    scope = HELD_AT[level]

    assert check_actions([assignment(role, scope)], scope, [action]) == [(action, allowed)]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_read_the_scope_it_is_held_at(role: Role) -> None:
    level = DESIGN_TABLE[role][0]
    read = {"account": f"{BA}/read", "profile": f"{BP}/read", "section": f"{IS}/read"}[level]

    assert check_actions([assignment(role, HELD_AT[level])], HELD_AT[level], [read]) == [(read, True)]


def test_a_profile_owner_may_not_manage_the_accounts_roles_even_when_asked_at_their_profile() -> None:
    held = [assignment(Role.BILLING_PROFILE_OWNER, P1)]
    actions = [f"{BA}/billingRoleAssignments/write", f"{BP}/billingRoleAssignments/write", f"{BA}/invoices/read"]

    assert check_actions(held, P1, actions) == [(actions[0], False), (actions[1], True), (actions[2], False)]


def test_an_account_owner_may_pay_the_invoices_of_a_profile_asked_at_one_of_its_sections() -> None:
    action = f"{BP}/invoices/pay/action"

    assert check_actions([assignment(Role.BILLING_ACCOUNT_OWNER, ACCOUNT)], S1, [action]) == [(action, True)]


def test_unknown_actions_are_not_allowed_and_answered_in_the_order_asked() -> None:
    held = [assignment(Role.BILLING_ACCOUNT_OWNER, ACCOUNT)]
    actions = ["Microsoft.Subscription/subscriptions/write", f"{BA}/read", "Microsoft.Billing/billingProfiles/read"]

    assert check_actions(held, ACCOUNT, actions) == [(actions[0], False), (actions[1], True), (actions[2], False)]


def test_action_names_are_matched_without_regard_to_case_and_returned_as_asked() -> None:
    asked = "microsoft.billing/BILLINGACCOUNTS/read"

    assert check_actions([assignment(Role.BILLING_ACCOUNT_READER, ACCOUNT)], ACCOUNT, [asked]) == [(asked, True)]


def test_another_accounts_roles_allow_nothing_here() -> None:
    held = [assignment(Role.BILLING_ACCOUNT_OWNER, Scope("ACC-B"))]

    assert allowed_actions(held, ACCOUNT) == []
    assert allowed_actions(held, S1) == []


def test_the_billing_permissions_of_a_reader_are_the_reading_actions() -> None:
    allowed = allowed_actions([assignment(Role.BILLING_PROFILE_READER, P1)], P1)

    assert f"{BP}/invoices/read" in allowed
    assert f"{BA}/read" in allowed  # to find the way down to the profile
    changes = [action for action in allowed if action.endswith(("/write", "/delete", "pay/action"))]
    assert changes == [f"{BA}/checkAccess/write", f"{BP}/checkAccess/write", f"{IS}/checkAccess/write"]


def test_an_account_owner_may_do_every_action_there_is() -> None:
    assert allowed_actions([assignment(Role.BILLING_ACCOUNT_OWNER, ACCOUNT)], S1) == list(BILLING_ACTIONS)


def test_every_action_is_a_microsoft_billing_action_about_one_level() -> None:
    for action, (_, kind) in BILLING_ACTIONS.items():
        assert action.startswith(f"{BA}/")
        depth = action.count("/billingProfiles/") + action.count("/invoiceSections/")
        assert list(ScopeKind)[depth] is kind, action


@pytest.mark.parametrize(
    ("scope", "kind", "expected"),
    [
        (S1, ScopeKind.BILLING_ACCOUNT, ACCOUNT),
        (S1, ScopeKind.BILLING_PROFILE, P1),
        (S1, ScopeKind.INVOICE_SECTION, S1),
        (P1, ScopeKind.INVOICE_SECTION, P1),
        (ACCOUNT, ScopeKind.BILLING_PROFILE, ACCOUNT),
    ],
    ids=str,
)
def test_at_most_climbs_to_the_kind_asked_and_never_descends(scope: Scope, kind: ScopeKind, expected: Scope) -> None:
    assert scope.at_most(kind) == expected
