"""Use cases of access: granting roles, reading what a user may do, writing the audit trail."""

from __future__ import annotations

from dataclasses import replace

from settle import ids
from settle.access.model import (
    AuditEvent,
    Permission,
    PermissionMissing,
    Role,
    RoleAssignment,
    Scope,
    allowed_actions,
    can,
    check_actions,
    permissions_at,
    refusal,
    require,
    takes_effect_at_once,
)
from settle.accounts.model import BillingAccountNotFound, BillingProfileNotFound, InvoiceSectionNotFound
from settle.clock import Clock
from settle.errors import N_, Conflict, NotFound
from settle.logs import current_request_id
from settle.uow import UnitOfWork


class RoleAlreadyAssigned(Conflict):
    code = "RoleAlreadyAssigned"
    message = N_("{email} already has the role '{role}' here.")


def record(
    uow: UnitOfWork,
    clock: Clock,
    actor_id: str | None,
    action: str,
    resource: str,
    *,
    outcome: str = "success",
    client_address: str | None = None,
    details: dict[str, str] | None = None,
) -> None:
    """Append an audit event in the caller's transaction, so it exists exactly when the change does. Made while
    serving a request, it carries that request's id (details.request_id), as the request's log lines do."""
    request_id = current_request_id()
    if request_id is not None:
        details = {**(details or {}), "request_id": request_id}
    uow.audit.add(
        AuditEvent(
            occurred_at=clock.now(),
            actor_id=actor_id,
            action=action,
            resource=resource,
            outcome=outcome,
            client_address=client_address,
            details=details,
        )
    )


def scope_of_profile(uow: UnitOfWork, profile_id: str) -> Scope:
    profile = uow.profiles.get(profile_id)
    return Scope(profile.billing_account_id, profile.id)


def check_scope_exists(uow: UnitOfWork, scope: Scope) -> None:
    """Raise the NotFound of the first part of the scope that does not exist or does not nest."""
    uow.accounts.get(scope.billing_account_id)
    if scope.billing_profile_id is not None:
        profile = uow.profiles.get(scope.billing_profile_id)
        if profile.billing_account_id != scope.billing_account_id:  # another account's: as unknown as none
            raise BillingProfileNotFound(id=scope.billing_profile_id)
    if scope.invoice_section_id is not None:
        section = uow.sections.get(scope.invoice_section_id)
        if section.billing_profile_id != scope.billing_profile_id:
            raise InvoiceSectionNotFound(id=scope.invoice_section_id)


def grant_role(
    uow: UnitOfWork,
    clock: Clock,
    *,
    actor_id: str | None,
    user_id: str,
    role: Role,
    scope: Scope,
    client_address: str | None = None,
) -> RoleAssignment:
    """Give a user a role at a scope (the operator at the command line, or an owner there). Granted by
    someone else to a user whose address is not verified, it is pending: stored apart, with no effect,
    until that user proves the address (activate_pending_roles)."""
    check_scope_exists(uow, scope)
    user = uow.users.get(user_id)
    at_once = takes_effect_at_once(actor_id, user.id, verified=user.verified)
    assignment = RoleAssignment(
        id=ids.opaque_id(),
        user_id=user.id,
        role=role,
        scope=scope,
        created_at=clock.now(),
        created_by=actor_id,
        pending=not at_once,
    )
    if any(held.role is role and held.scope == scope for held in uow.roles.for_user(user.id)):
        raise RoleAlreadyAssigned(email=user.email, role=role.value)
    for waiting in uow.pending_roles.for_user(user.id):
        if waiting.role is role and waiting.scope == scope:
            if not at_once:
                raise RoleAlreadyAssigned(email=user.email, role=role.value)
            uow.pending_roles.remove(waiting.id)  # the operator's grant counts now: it replaces the waiting one
    (uow.roles if at_once else uow.pending_roles).add(assignment)
    details = {"user": user.email, "role": role.value}
    if not at_once:
        details["pending"] = "until the user verifies the e-mail address"
    record(
        uow,
        clock,
        actor_id,
        "role_assignment.created",
        resource_of(scope),
        client_address=client_address,
        details=details,
    )
    return assignment


def activate_pending_roles(uow: UnitOfWork, clock: Clock, user_id: str) -> list[RoleAssignment]:
    """Once a user has proved their address: the roles granted to them meanwhile take effect (each
    audited), keeping their ids and when they were granted."""
    activated = []
    for waiting in uow.pending_roles.for_user(user_id):
        if not uow.pending_roles.remove(waiting.id):
            continue  # removed a moment ago, by its granter
        held = uow.roles.for_user(user_id)
        if any(each.role is waiting.role and each.scope == waiting.scope for each in held):
            continue
        assignment = replace(waiting, pending=False)
        uow.roles.add(assignment)
        user = uow.users.get(user_id)
        details = {"user": user.email, "role": assignment.role.value, "granted_by": assignment.created_by or ""}
        record(uow, clock, user_id, "role_assignment.activated", resource_of(assignment.scope), details=details)
        activated.append(assignment)
    return activated


def permissions(uow: UnitOfWork, user_id: str, scope: Scope) -> frozenset[Permission]:
    return permissions_at(uow.roles.for_user(user_id), scope)


def visible_profile_ids(
    uow: UnitOfWork, user_id: str, permission: Permission, account_id: str | None = None
) -> set[str]:
    """The billing profiles where the user holds `permission`, optionally within one account."""
    assignments = uow.roles.for_user(user_id)
    accounts = {a.scope.billing_account_id for a in assignments}
    if account_id is not None:
        accounts &= {account_id}
    found = set()
    for account in accounts:
        for profile in uow.profiles.list_for_account(account):
            if permission in permissions_at(assignments, Scope(account, profile.id)):
                found.add(profile.id)
    return found


def scope_not_found(scope: Scope) -> NotFound:
    """The NotFound of the scope's own kind, for a scope that is absent or not visible."""
    if scope.invoice_section_id is not None:
        return InvoiceSectionNotFound(id=scope.invoice_section_id)
    if scope.billing_profile_id is not None:
        return BillingProfileNotFound(id=scope.billing_profile_id)
    return BillingAccountNotFound(id=scope.billing_account_id)


def held_at_visible_scope(uow: UnitOfWork, user_id: str, scope: Scope) -> list[RoleAssignment]:
    """The user's role assignments, once the scope is known to exist and to be visible to them;
    otherwise the scope's NotFound (the same whether it is absent or another customer's)."""
    check_scope_exists(uow, scope)
    held = uow.roles.for_user(user_id)
    require(held, Permission.VIEW, scope, not_found=scope_not_found(scope))
    return held


def check_access(uow: UnitOfWork, user_id: str, scope: Scope, actions: list[str]) -> list[tuple[str, bool]]:
    """Azure's checkAccess: for each Microsoft.Billing action, whether the user may do it at the scope."""
    return check_actions(held_at_visible_scope(uow, user_id, scope), scope, actions)


def billing_permissions(uow: UnitOfWork, user_id: str, scope: Scope) -> list[str]:
    """Azure's billingPermissions: the Microsoft.Billing actions the user may do at the scope."""
    return allowed_actions(held_at_visible_scope(uow, user_id, scope), scope)


def resource_of(scope: Scope) -> str:
    path = f"billingAccounts/{scope.billing_account_id}"
    if scope.billing_profile_id:
        path += f"/billingProfiles/{scope.billing_profile_id}"
    if scope.invoice_section_id:
        path += f"/invoiceSections/{scope.invoice_section_id}"
    return path


def naming_owners(uow: UnitOfWork, refused: PermissionMissing) -> PermissionMissing:
    """The refusal with the names of its billing account's owners: the people to ask for the role."""
    owners = uow.roles.holders(Role.BILLING_ACCOUNT_OWNER, Scope(refused.scope.billing_account_id))
    users = [uow.users.get(owner.user_id) for owner in owners]
    return refused.naming_owners(user.display_name or user.email for user in users)


def refusal_for(uow: UnitOfWork, user_id: str, permission: Permission, scope: Scope) -> PermissionMissing | None:
    """Why the user may not do `permission` at `scope`, with whom to ask; None when they may."""
    held = uow.roles.for_user(user_id)
    if can(held, permission, scope):
        return None
    return naming_owners(uow, refusal(held, permission, scope))
