"""Tables and queries for role assignments (those in effect, and those pending their holder's e-mail
verification) and the audit trail."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from settle.access.model import AuditEvent, Role, RoleAssignment, RoleAssignmentNotFound, Scope
from settle.db import UTCDateTime, metadata

role_assignments = sa.Table(
    "role_assignments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("billing_account_id", sa.ForeignKey("billing_accounts.id"), nullable=False, index=True),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id")),
    sa.Column("invoice_section_id", sa.ForeignKey("invoice_sections.id")),
    sa.Column("created_by", sa.String(32)),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
# One grant of a role at a scope per user; NULLs compare distinct in unique keys, hence COALESCE.
sa.Index(
    "uq_role_assignments_grant",
    role_assignments.c.user_id,
    role_assignments.c.role,
    role_assignments.c.billing_account_id,
    sa.func.coalesce(role_assignments.c.billing_profile_id, ""),
    sa.func.coalesce(role_assignments.c.invoice_section_id, ""),
    unique=True,
)

# A role granted by someone else to a user who has not verified their address: it has no effect until
# they do (access/service.py, grant_role), and lives in a table of its own, so that nothing that reads
# role_assignments to decide a permission can count it by mistake.
pending_role_assignments = sa.Table(
    "pending_role_assignments",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("role", sa.String(40), nullable=False),
    sa.Column("billing_account_id", sa.ForeignKey("billing_accounts.id"), nullable=False, index=True),
    sa.Column("billing_profile_id", sa.ForeignKey("billing_profiles.id")),
    sa.Column("invoice_section_id", sa.ForeignKey("invoice_sections.id")),
    sa.Column("created_by", sa.String(32), nullable=False),  # never the operator: theirs take effect at once
    sa.Column("created_at", UTCDateTime, nullable=False),
)
sa.Index(
    "uq_pending_role_assignments_grant",
    pending_role_assignments.c.user_id,
    pending_role_assignments.c.role,
    pending_role_assignments.c.billing_account_id,
    sa.func.coalesce(pending_role_assignments.c.billing_profile_id, ""),
    sa.func.coalesce(pending_role_assignments.c.invoice_section_id, ""),
    unique=True,
)

audit_events = sa.Table(
    "audit_events",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("occurred_at", UTCDateTime, nullable=False, index=True),
    sa.Column("actor_id", sa.String(32)),
    sa.Column("action", sa.String(80), nullable=False),
    sa.Column("resource", sa.String(300), nullable=False, index=True),
    sa.Column("outcome", sa.String(40), nullable=False),
    sa.Column("client_address", sa.String(64)),
    sa.Column("details", sa.JSON),
)


# Built once: every permission check reads the user's role assignments.
_FOR_USER = (
    role_assignments.select()
    .where(role_assignments.c.user_id == sa.bindparam("user_id"))
    .order_by(role_assignments.c.created_at)
)


def _assignment(row: Any, *, pending: bool = False) -> RoleAssignment:
    return RoleAssignment(
        id=row.id,
        user_id=row.user_id,
        role=Role(row.role),
        scope=Scope(row.billing_account_id, row.billing_profile_id, row.invoice_section_id),
        created_at=row.created_at,
        created_by=row.created_by,
        pending=pending,
    )


def _values(assignment: RoleAssignment) -> dict[str, Any]:
    scope = assignment.scope
    return {
        "id": assignment.id,
        "user_id": assignment.user_id,
        "role": assignment.role.value,
        "billing_account_id": scope.billing_account_id,
        "billing_profile_id": scope.billing_profile_id,
        "invoice_section_id": scope.invoice_section_id,
        "created_by": assignment.created_by,
        "created_at": assignment.created_at,
    }


class RoleAssignmentStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        # A user's assignments, read once per unit of work: a request asks for them at each level of a
        # scope it checks (three times to list invoices). Forgotten whenever this store changes a role.
        self._held: dict[str, tuple[RoleAssignment, ...]] = {}

    def add(self, assignment: RoleAssignment) -> None:
        if assignment.pending:
            raise ValueError("a pending role assignment is not one in effect: it goes to PendingRoleStore")
        self._held.clear()
        self.connection.execute(role_assignments.insert().values(**_values(assignment)))

    def remove(self, assignment_id: str) -> None:
        self._held.clear()
        self.connection.execute(role_assignments.delete().where(role_assignments.c.id == assignment_id))

    def find(self, assignment_id: str) -> RoleAssignment | None:
        row = self.connection.execute(role_assignments.select().where(role_assignments.c.id == assignment_id)).first()
        return _assignment(row) if row else None

    def get(self, assignment_id: str) -> RoleAssignment:
        found = self.find(assignment_id)
        if found is None:
            raise RoleAssignmentNotFound(id=assignment_id)
        return found

    def for_user(self, user_id: str) -> list[RoleAssignment]:
        held = self._held.get(user_id)
        if held is None:
            held = tuple(_assignment(row) for row in self.connection.execute(_FOR_USER, {"user_id": user_id}))
            self._held[user_id] = held
        return list(held)

    def holders(self, role: Role, scope: Scope, *, for_update: bool = False) -> list[RoleAssignment]:
        """Everyone holding `role` at exactly `scope`; `for_update` locks those rows (PostgreSQL)
        so that two owners removing each other at once cannot leave an account without one."""
        c = role_assignments.c
        query = role_assignments.select().where(
            c.role == role.value,
            c.billing_account_id == scope.billing_account_id,
            c.billing_profile_id.is_not_distinct_from(scope.billing_profile_id),
            c.invoice_section_id.is_not_distinct_from(scope.invoice_section_id),
        )
        if for_update:
            query = query.with_for_update()
        return [_assignment(row) for row in self.connection.execute(query.order_by(c.created_at))]

    def in_account(self, account_id: str) -> list[RoleAssignment]:
        query = role_assignments.select().where(role_assignments.c.billing_account_id == account_id)
        return [_assignment(row) for row in self.connection.execute(query.order_by(role_assignments.c.created_at))]


class PendingRoleStore:
    """Roles granted to users who have not verified their address yet: shown on the IAM blade as
    waiting, removable there, and moved to role_assignments when the address is proved."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, assignment: RoleAssignment) -> None:
        self.connection.execute(pending_role_assignments.insert().values(**_values(assignment)))

    def find(self, assignment_id: str) -> RoleAssignment | None:
        query = pending_role_assignments.select().where(pending_role_assignments.c.id == assignment_id)
        row = self.connection.execute(query).first()
        return _assignment(row, pending=True) if row else None

    def remove(self, assignment_id: str) -> bool:
        query = pending_role_assignments.delete().where(pending_role_assignments.c.id == assignment_id)
        return self.connection.execute(query).rowcount == 1

    def for_user(self, user_id: str) -> list[RoleAssignment]:
        c = pending_role_assignments.c
        query = pending_role_assignments.select().where(c.user_id == user_id).order_by(c.created_at)
        return [_assignment(row, pending=True) for row in self.connection.execute(query)]

    def in_account(self, account_id: str) -> list[RoleAssignment]:
        c = pending_role_assignments.c
        query = pending_role_assignments.select().where(c.billing_account_id == account_id).order_by(c.created_at)
        return [_assignment(row, pending=True) for row in self.connection.execute(query)]


class AuditStore:
    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def add(self, event: AuditEvent) -> None:
        values = asdict(event)
        values.pop("id")
        self.connection.execute(audit_events.insert(), values)

    def list(self, resource: str | None = None, limit: int = 100) -> list[AuditEvent]:
        query = audit_events.select().order_by(audit_events.c.id.desc()).limit(limit)
        if resource is not None:
            query = query.where(audit_events.c.resource == resource)
        return [
            AuditEvent(
                id=row.id,
                occurred_at=row.occurred_at,
                actor_id=row.actor_id,
                action=row.action,
                resource=row.resource,
                outcome=row.outcome,
                client_address=row.client_address,
                details=row.details,
            )
            for row in self.connection.execute(query)
        ]
