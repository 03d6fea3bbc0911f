"""Survey respondents: recipients, hashed links, "has answered" marks, sealed drafts and open
links, none of them joined to the answers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "survey_open_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("limit_per_hour", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_survey_open_link_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_open_link_survey_id_survey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_open_link")),
        sa.UniqueConstraint("code", name=op.f("uq_survey_open_link_code")),
    )
    with op.batch_alter_table("survey_open_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_open_link_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "survey_recipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("open_link_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_survey_recipient_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["open_link_id"],
            ["survey_open_link.id"],
            name=op.f("fk_survey_recipient_open_link_id_survey_open_link"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_survey_recipient_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_recipient_survey_id_survey")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_recipient")),
        sa.UniqueConstraint("survey_id", "email", name=op.f("uq_survey_recipient_survey_id")),
    )
    with op.batch_alter_table("survey_recipient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_recipient_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "survey_answered",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["survey_recipient.id"],
            name=op.f("fk_survey_answered_recipient_id_survey_recipient"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["survey.id"], name=op.f("fk_survey_answered_survey_id_survey")
        ),
        sa.PrimaryKeyConstraint("survey_id", "recipient_id", name=op.f("pk_survey_answered")),
    )
    op.create_table(
        "survey_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["survey_recipient.id"],
            name=op.f("fk_survey_link_recipient_id_survey_recipient"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_survey_link_token_hash")),
    )
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_link_recipient_id"), ["recipient_id"], unique=False
        )

    op.create_table(
        "survey_draft",
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["link_id"], ["survey_link.id"], name=op.f("fk_survey_draft_link_id_survey_link")
        ),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_survey_draft")),
    )


def downgrade() -> None:
    op.drop_table("survey_draft")
    with op.batch_alter_table("survey_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_link_recipient_id"))

    op.drop_table("survey_link")
    op.drop_table("survey_answered")
    with op.batch_alter_table("survey_recipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_recipient_survey_id"))

    op.drop_table("survey_recipient")
    with op.batch_alter_table("survey_open_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_survey_open_link_survey_id"))

    op.drop_table("survey_open_link")
