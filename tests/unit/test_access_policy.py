"""The permission policy against DESIGN §3, written out here independently of ROLE_PERMISSIONS."""

from typing import Any

import pytest

from settle.access.model import Permission, Role, RoleScopeMismatch, Scope, ScopeKind, can, permissions_at, require
from settle.errors import ErrorKind, Forbidden, NotFound
from tests.design_roles import DESIGN_TABLE
from tests.unit.factories import NOW, assignment

P = Permission
ACCOUNT = Scope("ACC-A")
P1 = Scope("ACC-A", "P1")
P2 = Scope("ACC-A", "P2")
S1 = Scope("ACC-A", "P1", "S1")
S1B = Scope("ACC-A", "P1", "S1B")  # a sibling section in the same profile
S2 = Scope("ACC-A", "P2", "S2")
OTHER_ACCOUNT = [Scope("ACC-B"), Scope("ACC-B", "P1"), Scope("ACC-B", "P1", "S1")]  # same child ids, other account

COLUMNS = (P.VIEW_INVOICES, P.PAY_INVOICES, P.MANAGE_PAYMENT_METHODS, P.MANAGE_ROLES)
HELD_AT = {"account": ACCOUNT, "profile": P1, "section": S1}
# Where a role held at HELD_AT applies in full, where it only lets the holder find the way down (VIEW),
# and where it gives nothing.
BELOW = {"account": [P1, S1, P2, S2], "profile": [S1, S1B], "section": []}
ABOVE = {"account": [], "profile": [ACCOUNT], "section": [P1, ACCOUNT]}
ELSEWHERE = {"account": OTHER_ACCOUNT, "profile": [P2, S2, *OTHER_ACCOUNT], "section": [S1B, P2, S2, *OTHER_ACCOUNT]}


def _by_design(role: Role) -> frozenset[Permission]:
    """Every role lets its holder see the scope it is held at (VIEW), plus its columns of the table."""
    _, *columns = DESIGN_TABLE[role]
    return frozenset({P.VIEW} | {permission for permission, yes in zip(COLUMNS, columns, strict=True) if yes})


def _cases() -> list[Any]:
    cases = []
    for role, (level, *_) in DESIGN_TABLE.items():
        places = [("own scope", HELD_AT[level], _by_design(role))]
        places += [("below", scope, _by_design(role)) for scope in BELOW[level]]
        places += [("above", scope, frozenset({P.VIEW})) for scope in ABOVE[level]]
        places += [("elsewhere", scope, frozenset()) for scope in ELSEWHERE[level]]
        for where, scope, expected in places:
            for permission in Permission:
                case_id = f"{role}-{where}-{'/'.join(scope.parts)}-{permission}"
                cases.append(pytest.param(role, scope, permission, permission in expected, id=case_id))
    return cases


def test_the_table_covers_every_role() -> None:
    assert set(DESIGN_TABLE) == set(Role)


@pytest.mark.parametrize(("role", "scope", "permission", "granted"), _cases())
def test_permissions_at_follows_design_table(role: Role, scope: Scope, permission: Permission, granted: bool) -> None:
    held = [assignment(role, HELD_AT[DESIGN_TABLE[role][0]])]

    assert (permission in permissions_at(held, scope)) is granted
    assert can(held, permission, scope) is granted


def test_without_assignments_nothing_is_permitted() -> None:
    assert permissions_at([], ACCOUNT) == frozenset()


def test_roles_held_at_several_scopes_add_up() -> None:
    held = [assignment(Role.BILLING_ACCOUNT_READER, ACCOUNT), assignment(Role.BILLING_PROFILE_OWNER, P1)]

    assert permissions_at(held, S1) == frozenset(Permission)
    assert permissions_at(held, P2) == {P.VIEW, P.VIEW_INVOICES}


def test_require_passes_when_the_permission_is_granted() -> None:
    held = [assignment(Role.INVOICE_MANAGER, P1)]

    require(
        held, P.PAY_INVOICES, P1, not_found=NotFound(resource="Invoice", id="G000000001")
    )  # raises if not permitted


def test_require_is_forbidden_naming_the_permission_when_visible_but_not_permitted() -> None:
    held = [assignment(Role.BILLING_PROFILE_READER, P1)]

    with pytest.raises(Forbidden) as caught:
        require(
            held,
            P.PAY_INVOICES,
            P1,
            not_found=NotFound(resource="Invoice", id="G000000001"),
            visible_with=P.VIEW_INVOICES,
        )
    assert caught.value.params == {"permission": "pay_invoices"}
    assert caught.value.kind is ErrorKind.FORBIDDEN
    assert "pay_invoices" in str(caught.value)


@pytest.mark.parametrize(
    ("role", "held_at", "scope"),
    [
        (Role.BILLING_PROFILE_OWNER, P1, P2),  # a sibling profile
        (Role.BILLING_ACCOUNT_OWNER, ACCOUNT, Scope("ACC-B", "P1")),  # another billing account
        (Role.INVOICE_SECTION_OWNER, S1, S1B),  # a sibling section
    ],
)
def test_require_is_not_found_when_the_scope_is_not_visible(role: Role, held_at: Scope, scope: Scope) -> None:
    with pytest.raises(NotFound) as caught:
        require(
            [assignment(role, held_at)], P.VIEW_INVOICES, scope, not_found=NotFound(resource="Billing profile", id="P2")
        )
    assert caught.value.params == {"resource": "Billing profile", "id": "P2"}
    assert caught.value.kind is ErrorKind.NOT_FOUND


def test_require_is_not_found_for_an_invoice_when_only_the_profile_is_visible() -> None:
    # A section owner sees the profile (to reach their section) but none of its invoices.
    held = [assignment(Role.INVOICE_SECTION_OWNER, S1)]

    with pytest.raises(NotFound):
        require(
            held,
            P.PAY_INVOICES,
            P1,
            not_found=NotFound(resource="Invoice", id="G000000001"),
            visible_with=P.VIEW_INVOICES,
        )


def test_require_is_not_found_rather_than_forbidden_for_a_stranger() -> None:
    with pytest.raises(NotFound):
        require([], P.MANAGE_ROLES, ACCOUNT, not_found=NotFound(resource="Billing account", id="ACC-A"))


@pytest.mark.parametrize(
    ("role", "scope"),
    [(role, scope) for role, (level, *_) in DESIGN_TABLE.items() for lvl, scope in HELD_AT.items() if lvl != level],
    ids=str,
)
def test_a_role_cannot_be_assigned_at_the_wrong_kind_of_scope(role: Role, scope: Scope) -> None:
    with pytest.raises(RoleScopeMismatch) as caught:
        assignment(role, scope)
    assert caught.value.params == {"role": role.value, "scope": scope.kind.value}


@pytest.mark.parametrize("role", list(Role))
def test_a_role_can_be_assigned_at_its_own_kind_of_scope(role: Role) -> None:
    scope = HELD_AT[DESIGN_TABLE[role][0]]

    made = assignment(role, scope)

    assert (made.role, made.scope, made.created_at) == (role, scope, NOW)


@pytest.mark.parametrize(
    ("outer", "inner", "contains"),
    [
        (ACCOUNT, ACCOUNT, True),
        (ACCOUNT, P1, True),
        (ACCOUNT, S1, True),
        (P1, S1, True),
        (S1, S1, True),
        (P1, ACCOUNT, False),
        (S1, P1, False),
        (P1, P2, False),
        (P1, S2, False),
        (S1, S1B, False),
        (ACCOUNT, Scope("ACC-B", "P1"), False),
        (P1, Scope("ACC-B", "P1", "S1"), False),
    ],
    ids=str,
)
def test_scope_contains_itself_and_what_lies_below_it(outer: Scope, inner: Scope, contains: bool) -> None:
    assert outer.contains(inner) is contains


def test_scopes_are_related_when_one_lies_within_the_other() -> None:
    assert P1.related(ACCOUNT)
    assert ACCOUNT.related(S1)
    assert not P1.related(P2)


@pytest.mark.parametrize(
    ("scope", "kind"),
    [(ACCOUNT, ScopeKind.BILLING_ACCOUNT), (P1, ScopeKind.BILLING_PROFILE), (S1, ScopeKind.INVOICE_SECTION)],
)
def test_a_scope_knows_its_kind(scope: Scope, kind: ScopeKind) -> None:
    assert scope.kind is kind


def test_an_invoice_section_scope_needs_its_billing_profile() -> None:
    with pytest.raises(ValueError, match="needs its billing profile"):
        Scope("ACC-A", None, "S1")
