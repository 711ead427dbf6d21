"""Billing roles and the permission policy: the one place that decides who may do what, where.

Deny unless a role grants. Scopes nest (account > profile > section) and a role held at a scope
applies to everything below it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from settle.errors import N_, Conflict, Forbidden, Invalid, NotFound, SettleError


class ScopeKind(StrEnum):
    BILLING_ACCOUNT = "billing_account"
    BILLING_PROFILE = "billing_profile"
    INVOICE_SECTION = "invoice_section"


class Permission(StrEnum):
    VIEW = "view"  # see the scope itself (its name, its properties)
    VIEW_INVOICES = "view_invoices"
    PAY_INVOICES = "pay_invoices"
    MANAGE_PAYMENT_METHODS = "manage_payment_methods"
    MANAGE_ROLES = "manage_roles"


class Role(StrEnum):
    BILLING_ACCOUNT_OWNER = "billing_account_owner"
    BILLING_ACCOUNT_CONTRIBUTOR = "billing_account_contributor"
    BILLING_ACCOUNT_READER = "billing_account_reader"
    BILLING_PROFILE_OWNER = "billing_profile_owner"
    BILLING_PROFILE_CONTRIBUTOR = "billing_profile_contributor"
    BILLING_PROFILE_READER = "billing_profile_reader"
    INVOICE_MANAGER = "invoice_manager"
    INVOICE_SECTION_OWNER = "invoice_section_owner"
    INVOICE_SECTION_CONTRIBUTOR = "invoice_section_contributor"
    INVOICE_SECTION_READER = "invoice_section_reader"


_P = Permission
_EVERYTHING = frozenset(Permission)
_ALL_BUT_ROLES = _EVERYTHING - {_P.MANAGE_ROLES}
_READ = frozenset({_P.VIEW, _P.VIEW_INVOICES})

# DESIGN §3: the role, the scope kind it is held at, and what it grants there and below.
ROLE_SCOPE: dict[Role, ScopeKind] = {
    Role.BILLING_ACCOUNT_OWNER: ScopeKind.BILLING_ACCOUNT,
    Role.BILLING_ACCOUNT_CONTRIBUTOR: ScopeKind.BILLING_ACCOUNT,
    Role.BILLING_ACCOUNT_READER: ScopeKind.BILLING_ACCOUNT,
    Role.BILLING_PROFILE_OWNER: ScopeKind.BILLING_PROFILE,
    Role.BILLING_PROFILE_CONTRIBUTOR: ScopeKind.BILLING_PROFILE,
    Role.BILLING_PROFILE_READER: ScopeKind.BILLING_PROFILE,
    Role.INVOICE_MANAGER: ScopeKind.BILLING_PROFILE,
    Role.INVOICE_SECTION_OWNER: ScopeKind.INVOICE_SECTION,
    Role.INVOICE_SECTION_CONTRIBUTOR: ScopeKind.INVOICE_SECTION,
    Role.INVOICE_SECTION_READER: ScopeKind.INVOICE_SECTION,
}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.BILLING_ACCOUNT_OWNER: _EVERYTHING,
    Role.BILLING_ACCOUNT_CONTRIBUTOR: _ALL_BUT_ROLES,
    Role.BILLING_ACCOUNT_READER: _READ,
    Role.BILLING_PROFILE_OWNER: _EVERYTHING,
    Role.BILLING_PROFILE_CONTRIBUTOR: _ALL_BUT_ROLES,
    Role.BILLING_PROFILE_READER: _READ,
    Role.INVOICE_MANAGER: frozenset({_P.VIEW, _P.VIEW_INVOICES, _P.PAY_INVOICES}),
    # Invoice section roles see no invoices: invoices belong to the billing profile.
    Role.INVOICE_SECTION_OWNER: frozenset({_P.VIEW, _P.MANAGE_ROLES}),
    Role.INVOICE_SECTION_CONTRIBUTOR: frozenset({_P.VIEW}),
    Role.INVOICE_SECTION_READER: frozenset({_P.VIEW}),
}
ROLE_NAMES: dict[Role, str] = {
    Role.BILLING_ACCOUNT_OWNER: N_("Billing account owner"),
    Role.BILLING_ACCOUNT_CONTRIBUTOR: N_("Billing account contributor"),
    Role.BILLING_ACCOUNT_READER: N_("Billing account reader"),
    Role.BILLING_PROFILE_OWNER: N_("Billing profile owner"),
    Role.BILLING_PROFILE_CONTRIBUTOR: N_("Billing profile contributor"),
    Role.BILLING_PROFILE_READER: N_("Billing profile reader"),
    Role.INVOICE_MANAGER: N_("Invoice manager"),
    Role.INVOICE_SECTION_OWNER: N_("Invoice section owner"),
    Role.INVOICE_SECTION_CONTRIBUTOR: N_("Invoice section contributor"),
    Role.INVOICE_SECTION_READER: N_("Invoice section reader"),
}


@dataclass(frozen=True)
class Scope:
    """A place in the billing hierarchy: an account, a profile in it, or a section in that."""

    billing_account_id: str
    billing_profile_id: str | None = None
    invoice_section_id: str | None = None

    def __post_init__(self) -> None:
        if self.invoice_section_id is not None and self.billing_profile_id is None:
            raise ValueError("an invoice section scope needs its billing profile")

    @property
    def kind(self) -> ScopeKind:
        if self.invoice_section_id is not None:
            return ScopeKind.INVOICE_SECTION
        if self.billing_profile_id is not None:
            return ScopeKind.BILLING_PROFILE
        return ScopeKind.BILLING_ACCOUNT

    @property
    def parts(self) -> tuple[str, ...]:
        ids = (self.billing_account_id, self.billing_profile_id, self.invoice_section_id)
        return tuple(part for part in ids if part is not None)

    def contains(self, other: Scope) -> bool:
        """True if `other` is this scope or lies below it."""
        return other.parts[: len(self.parts)] == self.parts

    def related(self, other: Scope) -> bool:
        """True if one of the two lies within the other."""
        return self.contains(other) or other.contains(self)

    def at_most(self, kind: ScopeKind) -> Scope:
        """This scope, or the scope above it of `kind` when this one lies deeper."""
        if kind is ScopeKind.BILLING_ACCOUNT:
            return Scope(self.billing_account_id)
        if kind is ScopeKind.BILLING_PROFILE and self.invoice_section_id is not None:
            return Scope(self.billing_account_id, self.billing_profile_id)
        return self


@dataclass(frozen=True)
class RoleAssignment:
    id: str
    user_id: str
    role: Role
    scope: Scope
    created_at: datetime
    created_by: str | None = None  # None: the operator, at the command line
    # Granted by someone else to a user whose address is not verified: no effect until it is.
    pending: bool = False

    def __post_init__(self) -> None:
        if ROLE_SCOPE[self.role] is not self.scope.kind:
            raise RoleScopeMismatch(role=self.role.value, scope=self.scope.kind.value)


def takes_effect_at_once(granted_by: str | None, user_id: str, *, verified: bool) -> bool:
    """Whether a role granted now counts from now (DESIGN §10). An unverified address proves nothing
    (anyone can sign up with any address), so what someone else grants it waits until its user proves
    it; what the user made themselves (their own new billing account) and what the operator gives do not."""
    return verified or granted_by is None or granted_by == user_id


class RoleScopeMismatch(Invalid):
    code = "RoleScopeMismatch"
    message = N_("The role '{role}' cannot be assigned at a {scope} scope.")


class RoleAssignmentNotFound(NotFound):
    code = "RoleAssignmentNotFound"
    message = N_("Role assignment '{id}' was not found.")


class LastOwner(Conflict):
    code = "LastOwner"
    message = N_("The last owner of a billing account cannot be removed.")


def last_owner_kept(assignment: RoleAssignment, owners: Iterable[RoleAssignment]) -> LastOwner | None:
    """LastOwner when removing `assignment` would leave its billing account without an owner in effect
    (`owners`: the account's owners in effect); None when it may go."""
    if assignment.role is not Role.BILLING_ACCOUNT_OWNER or assignment.pending:
        return None
    return LastOwner() if len([owner for owner in owners if not owner.pending]) <= 1 else None


def permissions_at(assignments: Iterable[RoleAssignment], scope: Scope) -> frozenset[Permission]:
    """What a user holding `assignments` may do at `scope`.

    A role applies at its own scope and below. Holding any role below a scope lets the user see
    that scope (to find the way down to what they were given), but nothing more there."""
    granted: set[Permission] = set()
    for assignment in assignments:
        if assignment.pending:  # waits for its holder's verified address: grants nothing yet
            continue
        if assignment.scope.contains(scope):
            granted |= ROLE_PERMISSIONS[assignment.role]
        elif scope.contains(assignment.scope):
            granted.add(Permission.VIEW)
    return frozenset(granted)


def can(assignments: Iterable[RoleAssignment], permission: Permission, scope: Scope) -> bool:
    return permission in permissions_at(assignments, scope)


class PermissionMissing(Forbidden):
    """Visible, but no role the actor holds here grants `permission`. The API names the permission; the
    portal explains it (settle/access/refusals.py) from what this carries: the roles the actor holds here,
    the roles that would allow it, and the billing account's owners (named by `naming_owners`)."""

    def __init__(
        self, permission: Permission, scope: Scope, held: tuple[Role, ...], owners: tuple[str, ...] = ()
    ) -> None:
        super().__init__(permission=permission.value)
        self.permission, self.scope, self.held, self.owners = permission, scope, held, owners

    @property
    def allowing(self) -> tuple[Role, ...]:
        return roles_allowing(self.permission, self.scope.kind)

    def naming_owners(self, owners: Iterable[str]) -> PermissionMissing:
        return PermissionMissing(self.permission, self.scope, self.held, tuple(owners))


_KINDS_UPWARD = (ScopeKind.INVOICE_SECTION, ScopeKind.BILLING_PROFILE, ScopeKind.BILLING_ACCOUNT)


def roles_allowing(permission: Permission, kind: ScopeKind) -> tuple[Role, ...]:
    """The roles of the narrowest level, from `kind` upwards, that grant `permission`: the ones to ask for."""
    for level in _KINDS_UPWARD[_KINDS_UPWARD.index(kind) :]:
        found = tuple(role for role in Role if ROLE_SCOPE[role] is level and permission in ROLE_PERMISSIONS[role])
        if found:
            return found
    return ()


def roles_at(assignments: Iterable[RoleAssignment], scope: Scope) -> tuple[Role, ...]:
    """The roles in effect at `scope` (held there or above), each once, in the order of `Role`."""
    held = {a.role for a in assignments if not a.pending and a.scope.contains(scope)}
    return tuple(role for role in Role if role in held)


def refusal(assignments: Iterable[RoleAssignment], permission: Permission, scope: Scope) -> PermissionMissing:
    """Why `permission` is refused at `scope` to the holder of `assignments` (its owners not named yet)."""
    return PermissionMissing(permission, scope, roles_at(assignments, scope))


def require(
    assignments: Iterable[RoleAssignment],
    permission: Permission,
    scope: Scope,
    *,
    not_found: SettleError,
    visible_with: Permission = Permission.VIEW,
) -> None:
    """Raise `not_found` when the user cannot see the resource at all (no leak of its existence),
    PermissionMissing when they see it but may not do this.

    `visible_with` is what seeing the resource takes: VIEW for a scope, VIEW_INVOICES for an
    invoice or anything else that hangs off a billing profile's invoices."""
    held = list(assignments)
    granted = permissions_at(held, scope)
    if visible_with not in granted:
        raise not_found
    if permission not in granted:
        raise refusal(held, permission, scope)


def require_operator(
    assignments: Iterable[RoleAssignment],
    scope: Scope,
    *,
    operator: bool,
    not_found: SettleError,
    refused: SettleError,
) -> None:
    """For what only the provider's operators (granted with `settle operators add`) may do, such as
    refunds: they may, anywhere; anyone else is refused with `refused` where they see the scope's
    invoices, and with `not_found` where they do not (no leak of what exists)."""
    if operator:
        return
    if Permission.VIEW_INVOICES not in permissions_at(assignments, scope):
        raise not_found
    raise refused


# checkAccess and billingPermissions speak Azure's Microsoft.Billing action names (from Azure's
# "Azure permissions for Management and governance", Microsoft.Billing; `invoices/pay/action` is
# Settle's own, for POST …/invoices/{invoice}/pay). Each action is about one level of the hierarchy
# and is decided by one permission there: at the scope asked about, or at the scope above it when the
# action is about a higher level (a billing account's role assignments, asked at one of its profiles).
_ACCOUNT, _PROFILE, _SECTION = ScopeKind.BILLING_ACCOUNT, ScopeKind.BILLING_PROFILE, ScopeKind.INVOICE_SECTION
_BA = "Microsoft.Billing/billingAccounts"
_BP = f"{_BA}/billingProfiles"
_LEVELS = ((_BA, _ACCOUNT), (_BP, _PROFILE), (f"{_BP}/invoiceSections", _SECTION))


def _at_every_level(permission: Permission, *suffixes: str) -> dict[str, tuple[Permission, ScopeKind]]:
    return {f"{prefix}/{suffix}": (permission, kind) for prefix, kind in _LEVELS for suffix in suffixes}


BILLING_ACTIONS: dict[str, tuple[Permission, ScopeKind]] = {
    **_at_every_level(_P.VIEW, "read", "billingPermissions/read", "billingRoleDefinitions/read", "checkAccess/write"),
    f"{_BA}/invoices/read": (_P.VIEW_INVOICES, _ACCOUNT),
    f"{_BA}/invoices/download/action": (_P.VIEW_INVOICES, _ACCOUNT),
    f"{_BP}/invoices/read": (_P.VIEW_INVOICES, _PROFILE),
    f"{_BP}/invoices/download/action": (_P.VIEW_INVOICES, _PROFILE),
    f"{_BP}/paymentMethodLinks/read": (_P.VIEW_INVOICES, _PROFILE),  # choosing a card to pay with
    f"{_BP}/invoices/paynow/write": (_P.PAY_INVOICES, _PROFILE),
    f"{_BP}/invoices/validatePaynowEligibility/write": (_P.PAY_INVOICES, _PROFILE),
    f"{_BP}/invoices/pay/action": (_P.PAY_INVOICES, _PROFILE),
    f"{_BP}/paymentMethodLinks/write": (_P.MANAGE_PAYMENT_METHODS, _PROFILE),
    **_at_every_level(
        _P.MANAGE_ROLES,
        "billingRoleAssignments/read",
        "billingRoleAssignments/write",
        "billingRoleAssignments/delete",
        "createBillingRoleAssignment/write",
        "resolveBillingRoleAssignments/write",
    ),
}
_ACTIONS_BY_NAME = {name.lower(): rule for name, rule in BILLING_ACTIONS.items()}  # Azure's names ignore case


def check_actions(
    assignments: Iterable[RoleAssignment], scope: Scope, actions: Iterable[str]
) -> list[tuple[str, bool]]:
    """Each action with whether it is allowed at `scope` (Azure's checkAccess); unknown actions are not."""
    held = list(assignments)
    granted = {kind: permissions_at(held, scope.at_most(kind)) for kind in ScopeKind}
    answers = []
    for action in actions:
        rule = _ACTIONS_BY_NAME.get(action.lower())
        answers.append((action, rule is not None and rule[0] in granted[rule[1]]))
    return answers


def allowed_actions(assignments: Iterable[RoleAssignment], scope: Scope) -> list[str]:
    """Every action of BILLING_ACTIONS allowed at `scope` (Azure's billingPermissions list)."""
    return [action for action, allowed in check_actions(assignments, scope, BILLING_ACTIONS) if allowed]


@dataclass(frozen=True)
class AuditEvent:
    occurred_at: datetime
    actor_id: str | None  # None: the operator at the command line, or the system itself
    action: str  # e.g. "payment.succeeded", "role_assignment.created"
    resource: str  # e.g. "invoices/G000123456"
    outcome: str = "success"
    client_address: str | None = None
    details: dict[str, str] | None = None
    id: int | None = None
