"""Surveys whose newest answers wait for the next mix: a mark written with them and deleted by
the mix, so what a stopped process left is mixed at the next start.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 05:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_unmixed",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_unmixed_survey_id_survey")
        ),
        sa.PrimaryKeyConstraint("survey_id", name=op.f("pk_survey_unmixed")),
    )


def downgrade() -> None:
    op.drop_table("survey_unmixed")
