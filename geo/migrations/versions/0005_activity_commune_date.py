"""the activity's date on activity_commune, indexed by date and by commune, and reported
activities by unit and date: a period's coverage reads only the period's rows, and "days
since the last activity" is one index lookup per commune

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("activity_commune", sa.Column("activity_date", sa.Date(), nullable=True))
    op.execute(
        "UPDATE activity_commune SET activity_date = "
        "(SELECT activity.activity_date FROM activity "
        "WHERE activity.id = activity_commune.activity_id)"
    )
    with op.batch_alter_table("activity_commune") as batch:
        batch.alter_column("activity_date", existing_type=sa.Date(), nullable=False)
    op.drop_index("ix_activity_commune_unit", table_name="activity_commune")
    op.create_index(
        "ix_activity_commune_unit_date",
        "activity_commune",
        ["unit_id", "activity_date", "activity_id"],
    )
    op.create_index("ix_activity_commune_date", "activity_commune", ["activity_date"])
    op.create_index(
        "ix_activity_reported_unit_date", "activity", ["reported_unit_id", "activity_date"]
    )


def downgrade() -> None:
    op.drop_index("ix_activity_reported_unit_date", table_name="activity")
    op.drop_index("ix_activity_commune_date", table_name="activity_commune")
    op.drop_index("ix_activity_commune_unit_date", table_name="activity_commune")
    with op.batch_alter_table("activity_commune") as batch:
        batch.drop_column("activity_date")
    op.create_index("ix_activity_commune_unit", "activity_commune", ["unit_id", "activity_id"])
