"""support requests: problem type, billing profile, invoice, contact preference; replies

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Requests opened before these questions were asked: problem type 'other', answer by e-mail.
    # The defaults only fill the rows there are; new rows always say what the user chose.
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("problem_type", sa.String(length=24), nullable=False, server_default="other"))
        batch_op.add_column(sa.Column("billing_profile_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("invoice_id", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("contact_method", sa.String(length=8), nullable=False, server_default="email"))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_support_requests_billing_profile_id_billing_profiles"),
            "billing_profiles",
            ["billing_profile_id"],
            ["id"],
        )
        batch_op.create_foreign_key(op.f("fk_support_requests_invoice_id_invoices"), "invoices", ["invoice_id"], ["id"])
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.alter_column("problem_type", server_default=None)
        batch_op.alter_column("contact_method", server_default=None)

    op.create_table(
        "support_request_replies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("request_id", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["support_requests.id"],
            name=op.f("fk_support_request_replies_request_id_support_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_request_replies")),
    )
    with op.batch_alter_table("support_request_replies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_support_request_replies_request_id_created_at", ["request_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("support_request_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_support_request_replies_request_id_created_at")
    op.drop_table("support_request_replies")
    with op.batch_alter_table("support_requests", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_support_requests_invoice_id_invoices"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_support_requests_billing_profile_id_billing_profiles"), type_="foreignkey")
        batch_op.drop_column("contact_phone")
        batch_op.drop_column("contact_method")
        batch_op.drop_column("invoice_id")
        batch_op.drop_column("billing_profile_id")
        batch_op.drop_column("problem_type")
