"""Jobs run analyses too: kind, options_json, tasks_total and report_json on the jobs table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Existing jobs were all plain solves: ``kind`` is added NOT NULL and filled
with 'solve' through a server default, which is then dropped, as the model
sets the kind of every new job itself (so the schema is exactly what the
models describe). On SQLite dropping the default rebuilds the table (batch
mode: copy, drop, rename); adding the columns does not.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="solve"))
        batch.add_column(sa.Column("options_json", sa.Text(), nullable=True))
        batch.add_column(sa.Column("tasks_total", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("report_json", sa.Text(), nullable=True))
    with op.batch_alter_table("jobs") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=16), existing_nullable=False, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("report_json")
        batch.drop_column("tasks_total")
        batch.drop_column("options_json")
        batch.drop_column("kind")
