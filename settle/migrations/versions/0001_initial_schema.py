"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 14:20:37.555137
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("resource", sa.String(length=300), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_resource"), ["resource"], unique=False)

    op.create_table(
        "billing_accounts",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("agreement_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sold_to", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_accounts")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=5), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "billing_profiles",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("billing_account_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bill_to", sa.JSON(), nullable=False),
        sa.Column("invoice_email", sa.String(length=254), nullable=False),
        sa.Column("invoice_language", sa.String(length=5), nullable=False),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("default_payment_method_id", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_billing_profiles_billing_account_id_billing_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_profiles")),
    )
    with op.batch_alter_table("billing_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_billing_profiles_billing_account_id"), ["billing_account_id"], unique=False
        )

    op.create_table(
        "payment_methods",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("family", sa.String(length=20), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=20), nullable=True),
        sa.Column("last4", sa.String(length=4), nullable=True),
        sa.Column("expiry_month", sa.Integer(), nullable=True),
        sa.Column("expiry_year", sa.Integer(), nullable=True),
        sa.Column("holder", sa.String(length=200), nullable=True),
        sa.Column("funding", sa.String(length=10), nullable=False),
        sa.Column("processor_token", sa.String(length=100), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_payment_methods_owner_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_methods")),
    )
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_methods_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "invoice_sections",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("billing_profile_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_profile_id"],
            ["billing_profiles.id"],
            name=op.f("fk_invoice_sections_billing_profile_id_billing_profiles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_sections")),
    )
    with op.batch_alter_table("invoice_sections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_sections_billing_profile_id"), ["billing_profile_id"], unique=False
        )

    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=20), nullable=False),
        sa.Column("billing_account_id", sa.String(length=64), nullable=False),
        sa.Column("billing_profile_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("credits_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_rate", sa.String(length=12), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("amount_due_minor", sa.BigInteger(), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_due_minor >= 0 AND amount_due_minor <= total_minor", name=op.f("ck_invoices_amount_due_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_invoices_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["billing_profile_id"],
            ["billing_profiles.id"],
            name=op.f("fk_invoices_billing_profile_id_billing_profiles"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index("ix_invoices_account_date", ["billing_account_id", "invoice_date", "id"], unique=False)
        batch_op.create_index(
            "ix_invoices_open",
            ["billing_profile_id", "due_date"],
            unique=False,
            sqlite_where=sa.text("voided_at IS NULL AND amount_due_minor > 0"),
            postgresql_where=sa.text("voided_at IS NULL AND amount_due_minor > 0"),
        )
        batch_op.create_index("ix_invoices_profile_date", ["billing_profile_id", "invoice_date", "id"], unique=False)

    op.create_table(
        "payment_method_links",
        sa.Column("payment_method_id", sa.String(length=32), nullable=False),
        sa.Column("billing_profile_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_profile_id"],
            ["billing_profiles.id"],
            name=op.f("fk_payment_method_links_billing_profile_id_billing_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_method_id"],
            ["payment_methods.id"],
            name=op.f("fk_payment_method_links_payment_method_id_payment_methods"),
        ),
        sa.PrimaryKeyConstraint("payment_method_id", "billing_profile_id", name=op.f("pk_payment_method_links")),
    )
    with op.batch_alter_table("payment_method_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_method_links_billing_profile_id"), ["billing_profile_id"], unique=False
        )

    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("invoice_id", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("invoice_section_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.String(length=32), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_lines_invoice_id_invoices")),
        sa.ForeignKeyConstraint(
            ["invoice_section_id"],
            ["invoice_sections.id"],
            name=op.f("fk_invoice_lines_invoice_section_id_invoice_sections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
    )
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_lines_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "payments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=20), nullable=False),
        sa.Column("billing_profile_id", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("family", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payer_id", sa.String(length=32), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("payment_method_id", sa.String(length=32), nullable=True),
        sa.Column("processor_reference", sa.String(length=100), nullable=True),
        sa.Column("decline_code", sa.String(length=40), nullable=True),
        sa.Column("challenge_url", sa.String(length=500), nullable=True),
        sa.Column("receipt_number", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["billing_profile_id"],
            ["billing_profiles.id"],
            name=op.f("fk_payments_billing_profile_id_billing_profiles"),
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_payments_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["payer_id"], ["users.id"], name=op.f("fk_payments_payer_id_users")),
        sa.ForeignKeyConstraint(
            ["payment_method_id"], ["payment_methods.id"], name=op.f("fk_payments_payment_method_id_payment_methods")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_payments_receipt_number")),
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_invoice_id"), ["invoice_id"], unique=False)
        batch_op.create_index("ix_payments_profile_created", ["billing_profile_id", "created_at"], unique=False)
        batch_op.create_index(
            "uq_payments_one_in_flight",
            ["invoice_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'requires_action')"),
            postgresql_where=sa.text("status IN ('pending', 'requires_action')"),
        )
        batch_op.create_index("uq_payments_payer_key", ["payer_id", "idempotency_key"], unique=True)

    op.create_table(
        "role_assignments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("billing_account_id", sa.String(length=64), nullable=False),
        sa.Column("billing_profile_id", sa.String(length=64), nullable=True),
        sa.Column("invoice_section_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["billing_account_id"],
            ["billing_accounts.id"],
            name=op.f("fk_role_assignments_billing_account_id_billing_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["billing_profile_id"],
            ["billing_profiles.id"],
            name=op.f("fk_role_assignments_billing_profile_id_billing_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["invoice_section_id"],
            ["invoice_sections.id"],
            name=op.f("fk_role_assignments_invoice_section_id_invoice_sections"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_role_assignments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_assignments")),
    )
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_role_assignments_billing_account_id"), ["billing_account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_role_assignments_user_id"), ["user_id"], unique=False)
    # One grant of a role at a scope per user; NULLs compare distinct in unique keys, hence COALESCE.
    op.create_index(
        "uq_role_assignments_grant",
        "role_assignments",
        [
            "user_id",
            "role",
            "billing_account_id",
            sa.text("coalesce(billing_profile_id, '')"),
            sa.text("coalesce(invoice_section_id, '')"),
        ],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_role_assignments_grant", table_name="role_assignments")
    with op.batch_alter_table("role_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_assignments_user_id"))
        batch_op.drop_index(batch_op.f("ix_role_assignments_billing_account_id"))

    op.drop_table("role_assignments")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("uq_payments_payer_key")
        batch_op.drop_index(
            "uq_payments_one_in_flight",
            sqlite_where=sa.text("status IN ('pending', 'requires_action')"),
            postgresql_where=sa.text("status IN ('pending', 'requires_action')"),
        )
        batch_op.drop_index("ix_payments_profile_created")
        batch_op.drop_index(batch_op.f("ix_payments_invoice_id"))

    op.drop_table("payments")
    with op.batch_alter_table("invoice_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_lines_invoice_id"))

    op.drop_table("invoice_lines")
    with op.batch_alter_table("payment_method_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_method_links_billing_profile_id"))

    op.drop_table("payment_method_links")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_profile_date")
        batch_op.drop_index(
            "ix_invoices_open",
            sqlite_where=sa.text("voided_at IS NULL AND amount_due_minor > 0"),
            postgresql_where=sa.text("voided_at IS NULL AND amount_due_minor > 0"),
        )
        batch_op.drop_index("ix_invoices_account_date")

    op.drop_table("invoices")
    with op.batch_alter_table("invoice_sections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_sections_billing_profile_id"))

    op.drop_table("invoice_sections")
    with op.batch_alter_table("payment_methods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_methods_owner_id"))

    op.drop_table("payment_methods")
    with op.batch_alter_table("billing_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_billing_profiles_billing_account_id"))

    op.drop_table("billing_profiles")
    op.drop_table("users")
    op.drop_table("billing_accounts")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_resource"))
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))

    op.drop_table("audit_events")
