"""automatic payment (autopay attempts, job leases) and refunds

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing billing profiles keep paying by hand: automatic payment starts off (NULL).
    with op.batch_alter_table("billing_profiles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("autopay_since", sa.Date(), nullable=True))

    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_leases")),
    )
    op.create_table(
        "autopay_attempts",
        sa.Column("invoice_id", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("payment_id", sa.String(length=32), nullable=False),
        sa.Column("attempted_on", sa.Date(), nullable=False),
        sa.Column("retry_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_autopay_attempts_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_autopay_attempts_payment_id_payments")),
        sa.PrimaryKeyConstraint("invoice_id", "number", name=op.f("pk_autopay_attempts")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_autopay_attempts_payment_id")),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("payment_id", sa.String(length=32), nullable=False),
        sa.Column("invoice_id", sa.String(length=20), nullable=False),
        sa.Column("billing_profile_id", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.String(length=32), nullable=True),
        sa.Column("processor_reference", sa.String(length=100), nullable=True),
        sa.Column("failure_code", sa.String(length=40), nullable=True),
        sa.Column("receipt_number", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_refunds_amount_positive")),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"], name=op.f("fk_refunds_actor_id_users")),
        sa.ForeignKeyConstraint(
            ["billing_profile_id"],
            ["billing_profiles.id"],
            name=op.f("fk_refunds_billing_profile_id_billing_profiles"),
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_refunds_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"], name=op.f("fk_refunds_payment_id_payments")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
        sa.UniqueConstraint("receipt_number", name=op.f("uq_refunds_receipt_number")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index("ix_refunds_invoice_id", ["invoice_id"], unique=False)
        batch_op.create_index("ix_refunds_payment_id", ["payment_id"], unique=False)
        batch_op.create_index("ix_refunds_profile_created", ["billing_profile_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_profile_created")
        batch_op.drop_index("ix_refunds_payment_id")
        batch_op.drop_index("ix_refunds_invoice_id")
    op.drop_table("refunds")
    op.drop_table("autopay_attempts")
    op.drop_table("job_leases")
    with op.batch_alter_table("billing_profiles", schema=None) as batch_op:
        batch_op.drop_column("autopay_since")
