"""Survey answers indexed by version and municipality together, so counting them reads the
index alone (the anchoring record at ten times a project's size, the results pages).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 23:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_answer_version_municipality",
            ["survey_version_id", "municipality_id"],
            unique=False,
        )
        batch_op.drop_index(batch_op.f("ix_survey_answer_survey_version_id"))


def downgrade() -> None:
    with op.batch_alter_table("survey_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_answer_survey_version_id"), ["survey_version_id"], unique=False
        )
        batch_op.drop_index("ix_survey_answer_version_municipality")
