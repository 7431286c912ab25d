"""vector tiles: generalised commune boundaries stored per boundary version, and a tile cache

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "boundary_level_build",
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("feature_count", sa.Integer(), nullable=False),
        sa.Column("bounds", sa.String(length=120), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "boundary_level_feature",
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("min_x", sa.Double(), nullable=False),
        sa.Column("min_y", sa.Double(), nullable=False),
        sa.Column("max_x", sa.Double(), nullable=False),
        sa.Column("max_y", sa.Double(), nullable=False),
        sa.Column("wkb", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["admin_unit.id"]),
        sa.PrimaryKeyConstraint("version", "level", "unit_id"),
    )
    op.create_index(
        "ix_boundary_level_feature_box",
        "boundary_level_feature",
        ["version", "level", "min_x", "max_x"],
    )
    op.create_table(
        "vector_tile",
        sa.Column("layer", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("z", sa.SmallInteger(), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("layer", "version", "z", "x", "y"),
    )


def downgrade() -> None:
    op.drop_table("vector_tile")
    op.drop_index("ix_boundary_level_feature_box", table_name="boundary_level_feature")
    op.drop_table("boundary_level_feature")
    op.drop_table("boundary_level_build")
