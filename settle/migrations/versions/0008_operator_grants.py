"""operator grants: the provider's operators, granted explicitly to users (no longer SETTLE_OPERATORS)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nobody is granted here: SETTLE_OPERATORS named addresses, and an address alone proves nothing.
    # Settle refuses to start while SETTLE_OPERATORS is set and says to run `settle operators add`.
    op.create_table(
        "operator_grants",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("granted_by", sa.String(length=32), nullable=True),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_operator_grants_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_operator_grants")),
    )


def downgrade() -> None:
    op.drop_table("operator_grants")
