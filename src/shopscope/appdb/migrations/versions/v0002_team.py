"""Team workflow: brief fields and workflow on tasks, comments, notifications, assessments.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_TASK_COLUMNS = (
    ("key", sa.String(256)),
    ("fingerprint", sa.String(64)),
    ("rule", sa.String(64)),
    ("title_zh", sa.String(256)),
    ("evidence", sa.JSON),
    ("link", sa.String(512)),
    ("dismissed_reason", sa.Text),
    ("updated_at", sa.DateTime),
)


def upgrade() -> None:
    """Add the task workflow columns and the comment, notification and assessment tables."""
    op.add_column("users", sa.Column("email", sa.String(256), nullable=True))
    for name, type_ in _TASK_COLUMNS:
        op.add_column("tasks", sa.Column(name, type_, nullable=True))
    op.add_column(
        "tasks",
        sa.Column("priority", sa.String(8), nullable=False, server_default="medium"),
    )
    op.create_index("ix_tasks_key", "tasks", ["key"])
    op.create_table(
        "task_comments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_task_comments_task_id", "task_comments", ["task_id"])
    op.create_table(
        "task_notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "task_id", sa.Integer, sa.ForeignKey("tasks.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("target", sa.String(512), nullable=False),
        sa.Column("delivered", sa.Boolean, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_task_notifications_task_id", "task_notifications", ["task_id"])
    op.create_table(
        "assessments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_assessments_user_id", "assessments", ["user_id"])
    op.create_index("ix_assessments_created_at", "assessments", ["created_at"])


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    for table in ("assessments", "task_notifications", "task_comments"):
        op.drop_table(table)
    op.drop_index("ix_tasks_key", "tasks")
    with op.batch_alter_table("tasks") as batch:
        for name in ("priority", *(n for n, _ in _TASK_COLUMNS)):
            batch.drop_column(name)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
