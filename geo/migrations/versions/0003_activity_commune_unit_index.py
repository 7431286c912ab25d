"""index activity_commune by commune (coverage per commune, days since the last activity)

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_activity_commune_unit", "activity_commune", ["unit_id", "activity_id"])


def downgrade() -> None:
    op.drop_index("ix_activity_commune_unit", table_name="activity_commune")
