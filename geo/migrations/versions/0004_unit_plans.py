"""unit plans: plans per unit and period, planned items, their criteria, calendar-feed tokens

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import (
    Geometry,
    alembic_helpers,  # noqa: F401  (registers the geospatial operations)
)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('unit', 'province')", name="ck_kind_allowed"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_unit_plan_org_period", "unit_plan", ["organisation_id", "period_from"], unique=False
    )
    op.create_geospatial_table(  # type: ignore[attr-defined]  # op added by alembic_helpers
        "plan_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("planned_date", sa.Date(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("village", sa.String(length=200), nullable=True),
        sa.Column("type_code", sa.String(length=40), nullable=False),
        sa.Column("planned_quantity", sa.Double(), nullable=True),
        sa.Column("quantity_unit", sa.String(length=60), nullable=True),
        sa.Column("lead_person", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            Geometry(
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("missed_reason", sa.Text(), nullable=True),
        sa.Column("moved_to_date", sa.Date(), nullable=True),
        sa.Column("moved_to_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'done', 'missed', 'moved')", name="ck_status_allowed"
        ),
        sa.CheckConstraint(
            "planned_quantity IS NULL OR planned_quantity >= 0", name="ck_planned_qty"
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["unit_plan.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assignee_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"]),
        sa.ForeignKeyConstraint(["type_code"], ["activity_type.code"]),
        sa.ForeignKeyConstraint(["moved_to_id"], ["plan_item.id"]),
        sa.ForeignKeyConstraint(["activity_id"], ["activity.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_geospatial_index(  # type: ignore[attr-defined]  # op added by alembic_helpers
        "idx_plan_item_geom",
        "plan_item",
        ["geom"],
        unique=False,
        postgresql_using="gist",
        postgresql_ops={},
    )
    op.create_index("ix_plan_item_plan_date", "plan_item", ["plan_id", "planned_date"])
    op.create_index("ix_plan_item_date", "plan_item", ["planned_date"])
    op.create_index(op.f("ix_plan_item_assignee_id"), "plan_item", ["assignee_id"])
    op.create_index(op.f("ix_plan_item_unit_id"), "plan_item", ["unit_id"])
    op.create_index(op.f("ix_plan_item_activity_id"), "plan_item", ["activity_id"])
    op.create_table(
        "plan_item_criterion",
        sa.Column("plan_item_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_item_id"], ["plan_item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["criterion_id"], ["criterion.id"]),
        sa.PrimaryKeyConstraint("plan_item_id", "criterion_id"),
    )
    op.create_table(
        "plan_feed_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )


def downgrade() -> None:
    op.drop_table("plan_feed_token")
    op.drop_table("plan_item_criterion")
    op.drop_index(op.f("ix_plan_item_activity_id"), table_name="plan_item")
    op.drop_index(op.f("ix_plan_item_unit_id"), table_name="plan_item")
    op.drop_index(op.f("ix_plan_item_assignee_id"), table_name="plan_item")
    op.drop_index("ix_plan_item_date", table_name="plan_item")
    op.drop_index("ix_plan_item_plan_date", table_name="plan_item")
    op.drop_geospatial_index(  # type: ignore[attr-defined]  # op added by alembic_helpers
        "idx_plan_item_geom", table_name="plan_item", postgresql_using="gist", column_name="geom"
    )
    op.drop_geospatial_table("plan_item")  # type: ignore[attr-defined]  # op added by alembic_helpers
    op.drop_index("ix_unit_plan_org_period", table_name="unit_plan")
    op.drop_table("unit_plan")
