"""export jobs in the database: the durable queue that ``ntm worker`` processes run

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_job",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("mimetype", sa.String(length=100), nullable=True),
        sa.Column("file_path", sa.Text(), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed', 'cancelled')",
            name="ck_status_allowed",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_export_job_status_created", "export_job", ["status", "created_at"])
    op.create_index("ix_export_job_owner_status", "export_job", ["owner", "status"])


def downgrade() -> None:
    op.drop_index("ix_export_job_owner_status", table_name="export_job")
    op.drop_index("ix_export_job_status_created", table_name="export_job")
    op.drop_table("export_job")
