"""Input with its follow-up, themes, decisions, learning points, and the anchoring record's targets.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 20:22:07.358130
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "anchoring_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anchoring_target")),
        sa.UniqueConstraint("code", name=op.f("uq_anchoring_target_code")),
    )
    op.create_table(
        "theme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_theme")),
        sa.UniqueConstraint("name", name=op.f("uq_theme_name")),
    )
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "body",
            sa.Enum(
                "kdu",
                "council",
                "hr_network",
                "finance_network",
                "steering_group",
                name="decisionbody",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decided_on", sa.Date(), nullable=False),
        sa.Column("case_number", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("document_url", sa.String(length=1000), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_decision_municipality_id_municipality"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decision")),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_decided_on"), ["decided_on"], unique=False)

    op.create_table(
        "learning_point",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "positive",
                "negative",
                name="lessonkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("effect", sa.Text(), nullable=False),
        sa.Column("warning_signs", sa.Text(), nullable=False),
        sa.Column(
            "known_risk",
            sa.Enum(
                "yes", "no", name="knownrisk", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("recommendation", sa.Text(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("risk_factor_id", sa.Integer(), nullable=True),
        sa.Column(
            "priority",
            sa.Enum(
                "high",
                "medium",
                "low",
                name="priority",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["phase_id"], ["phase.id"], name=op.f("fk_learning_point_phase_id_phase")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["person.id"], name=op.f("fk_learning_point_recorded_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["risk_factor_id"],
            ["risk_factor.id"],
            name=op.f("fk_learning_point_risk_factor_id_risk_factor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learning_point")),
    )
    with op.batch_alter_table("learning_point", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_learning_point_phase_id"), ["phase_id"], unique=False)

    op.create_table(
        "input",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "stakeholder_kind",
            sa.Enum(
                "staff",
                "union",
                "manager",
                "group",
                name="stakeholderkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("theme_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=True),
        sa.Column(
            "source_kind",
            sa.Enum(
                "meeting_point",
                "consultation",
                "survey_question",
                "email",
                "other",
                name="sourcekind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("meeting_point_id", sa.Integer(), nullable=True),
        sa.Column("source_note", sa.String(length=300), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "assessed",
                "taken_in",
                "rejected",
                name="followup",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["group_id"], ["group.id"], name=op.f("fk_input_group_id_group")),
        sa.ForeignKeyConstraint(
            ["meeting_point_id"],
            ["meeting_point.id"],
            name=op.f("fk_input_meeting_point_id_meeting_point"),
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_input_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(["phase_id"], ["phase.id"], name=op.f("fk_input_phase_id_phase")),
        sa.ForeignKeyConstraint(["theme_id"], ["theme.id"], name=op.f("fk_input_theme_id_theme")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_input")),
        sa.UniqueConstraint("meeting_point_id", name=op.f("uq_input_meeting_point_id")),
    )
    with op.batch_alter_table("input", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_input_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_input_municipality_id"), ["municipality_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_input_received_on"), ["received_on"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("input", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_input_received_on"))
        batch_op.drop_index(batch_op.f("ix_input_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_input_group_id"))

    op.drop_table("input")
    with op.batch_alter_table("learning_point", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_learning_point_phase_id"))

    op.drop_table("learning_point")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_decided_on"))

    op.drop_table("decision")
    op.drop_table("theme")
    op.drop_table("anchoring_target")
