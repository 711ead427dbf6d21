"""e-mail verification: users.email_verified_at, verification links, roles pending verification

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_MOVE_TO_PENDING = """
INSERT INTO pending_role_assignments
    (id, user_id, role, billing_account_id, billing_profile_id, invoice_section_id, created_by, created_at)
SELECT id, user_id, role, billing_account_id, billing_profile_id, invoice_section_id, created_by, created_at
FROM role_assignments WHERE created_by IS NOT NULL AND created_by <> user_id
"""
_REMOVE_MOVED = "DELETE FROM role_assignments WHERE created_by IS NOT NULL AND created_by <> user_id"
_MOVE_BACK = """
INSERT INTO role_assignments
    (id, user_id, role, billing_account_id, billing_profile_id, invoice_section_id, created_by, created_at)
SELECT id, user_id, role, billing_account_id, billing_profile_id, invoice_section_id, created_by, created_at
FROM pending_role_assignments
"""


def upgrade() -> None:
    # Every existing user starts unverified, those an operator made included: Settle cannot tell them from
    # self-sign-ups, and an address someone signed up with proves nothing, so we do not vouch for any of
    # them. Each proves their address with the link the portal's banner sends (`settle users add` makes
    # verified users from now on).
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "email_verifications",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_email_verifications_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_verifications")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_email_verifications_secret_hash")),
    )
    with op.batch_alter_table("email_verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_verifications_user_id"), ["user_id"], unique=False)

    op.create_table(
        "pending_role_assignments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("billing_account_id", sa.String(length=64), nullable=False),
        sa.Column("billing_profile_id", sa.String(length=64), nullable=True),
        sa.Column("invoice_section_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_pending_role_assignments_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["billing_profile_id"],
            ["billing_profiles.id"],
            name=op.f("fk_pending_role_assignments_billing_profile_id_billing_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_section_id"],
            ["invoice_sections.id"],
            name=op.f("fk_pending_role_assignments_invoice_section_id_invoice_sections"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_pending_role_assignments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_role_assignments")),
    )
    with op.batch_alter_table("pending_role_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pending_role_assignments_billing_account_id"), ["billing_account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pending_role_assignments_user_id"), ["user_id"], unique=False)
    op.create_index(
        "uq_pending_role_assignments_grant",
        "pending_role_assignments",
        [
            "user_id",
            "role",
            "billing_account_id",
            sa.text("coalesce(billing_profile_id, '')"),
            sa.text("coalesce(invoice_section_id, '')"),
        ],
        unique=True,
    )

    # No user is verified now, so a role someone else granted has no effect until its holder proves the
    # address: it waits with the others (the IAM blade shows it so). Their own billing accounts' owner
    # roles and what the operator granted at the command line (created_by NULL) stay in effect.
    op.execute(_MOVE_TO_PENDING)
    op.execute(_REMOVE_MOVED)


def downgrade() -> None:
    # Before 0009 a role took effect when granted: the waiting ones go back among those in effect.
    op.execute(_MOVE_BACK)
    op.drop_index("uq_pending_role_assignments_grant", table_name="pending_role_assignments")
    with op.batch_alter_table("pending_role_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_role_assignments_user_id"))
        batch_op.drop_index(batch_op.f("ix_pending_role_assignments_billing_account_id"))
    op.drop_table("pending_role_assignments")
    with op.batch_alter_table("email_verifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_verifications_user_id"))
    op.drop_table("email_verifications")
    # In place (SQLite has ALTER TABLE … DROP COLUMN since 3.35): copying the table anew, as batch mode
    # would, cannot drop the users table that other tables' rows point at.
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("email_verified_at")
