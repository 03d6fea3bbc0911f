"""Union consultations: the record, its unions and documents, protocol versions and the
parties' answers, comments, and the hash-chained log (append-only, by triggers).

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matter", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "information",
                "consultation",
                "other",
                name="consultationkind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("phase_id", sa.Integer(), nullable=True),
        sa.Column("milestone_id", sa.Integer(), nullable=True),
        sa.Column("decision_ref", sa.String(length=200), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("employer_participants", sa.Text(), nullable=False),
        sa.Column("agreed", sa.Boolean(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_consultation_created_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meeting.id"], name=op.f("fk_consultation_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["milestone_id"], ["milestone.id"], name=op.f("fk_consultation_milestone_id_milestone")
        ),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_consultation_municipality_id_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["phase_id"], ["phase.id"], name=op.f("fk_consultation_phase_id_phase")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation")),
    )
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consultation_municipality_id"), ["municipality_id"], unique=False
        )

    op.create_table(
        "consultation_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_comment_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_consultation_comment_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_comment")),
    )
    with op.batch_alter_table("consultation_comment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_comment_consultation_id"), ["consultation_id"], unique=False
        )

    op.create_table(
        "consultation_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_document_consultation_id_consultation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_document")),
    )
    with op.batch_alter_table("consultation_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_document_consultation_id"),
            ["consultation_id"],
            unique=False,
        )

    op.create_table(
        "consultation_log_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("at", sa.String(length=20), nullable=False),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_log_entry_consultation_id_consultation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_log_entry")),
        sa.UniqueConstraint(
            "consultation_id", "sequence", name=op.f("uq_consultation_log_entry_consultation_id")
        ),
    )
    with op.batch_alter_table("consultation_log_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_log_entry_consultation_id"),
            ["consultation_id"],
            unique=False,
        )

    op.create_table(
        "consultation_union",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("union_id", sa.Integer(), nullable=False),
        sa.Column("participants", sa.Text(), nullable=False),
        sa.Column("position", sa.Text(), nullable=False),
        sa.Column("addition", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_consultation_union_consultation_id_consultation"),
        ),
        sa.ForeignKeyConstraint(
            ["union_id"],
            ["organisation.id"],
            name=op.f("fk_consultation_union_union_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation_union")),
        sa.UniqueConstraint(
            "consultation_id", "union_id", name=op.f("uq_consultation_union_consultation_id")
        ),
    )
    with op.batch_alter_table("consultation_union", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consultation_union_consultation_id"), ["consultation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consultation_union_union_id"), ["union_id"], unique=False
        )

    op.create_table(
        "protocol_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "sent",
                "confirmed",
                name="protocolstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_protocol_version_consultation_id_consultation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_version")),
        sa.UniqueConstraint(
            "consultation_id", "number", name=op.f("uq_protocol_version_consultation_id")
        ),
    )
    with op.batch_alter_table("protocol_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protocol_version_consultation_id"), ["consultation_id"], unique=False
        )

    op.create_table(
        "protocol_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("protocol_version_id", sa.Integer(), nullable=False),
        sa.Column("union_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column(
            "answer",
            sa.Enum(
                "confirmed",
                "disputed",
                name="answer",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_protocol_answer_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["protocol_version_id"],
            ["protocol_version.id"],
            name=op.f("fk_protocol_answer_protocol_version_id_protocol_version"),
        ),
        sa.ForeignKeyConstraint(
            ["union_id"], ["organisation.id"], name=op.f("fk_protocol_answer_union_id_organisation")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_answer")),
    )
    with op.batch_alter_table("protocol_answer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_protocol_answer_protocol_version_id"),
            ["protocol_version_id"],
            unique=False,
        )

    _make_log_append_only()


def _make_log_append_only() -> None:
    """No statement edits or deletes a log entry; the hashes show it if a table owner does."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION consultation_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'the consultation log is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER consultation_log_append_only BEFORE UPDATE OR DELETE "
            "ON consultation_log_entry FOR EACH ROW EXECUTE FUNCTION consultation_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER consultation_log_no_truncate BEFORE TRUNCATE ON consultation_log_entry "
            "FOR EACH STATEMENT EXECUTE FUNCTION consultation_log_append_only()"
        )
        return
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER consultation_log_no_{verb.lower()} BEFORE {verb} "
            "ON consultation_log_entry "
            "BEGIN SELECT RAISE(ABORT, 'the consultation log is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consultation_log_no_truncate ON consultation_log_entry")
        op.execute("DROP TRIGGER consultation_log_append_only ON consultation_log_entry")
        op.execute("DROP FUNCTION consultation_log_append_only()")
    else:
        op.execute("DROP TRIGGER consultation_log_no_update")
        op.execute("DROP TRIGGER consultation_log_no_delete")
    with op.batch_alter_table("protocol_answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protocol_answer_protocol_version_id"))

    op.drop_table("protocol_answer")
    with op.batch_alter_table("protocol_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_protocol_version_consultation_id"))

    op.drop_table("protocol_version")
    with op.batch_alter_table("consultation_union", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_union_union_id"))
        batch_op.drop_index(batch_op.f("ix_consultation_union_consultation_id"))

    op.drop_table("consultation_union")
    with op.batch_alter_table("consultation_log_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_log_entry_consultation_id"))

    op.drop_table("consultation_log_entry")
    with op.batch_alter_table("consultation_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_document_consultation_id"))

    op.drop_table("consultation_document")
    with op.batch_alter_table("consultation_comment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_comment_consultation_id"))

    op.drop_table("consultation_comment")
    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consultation_municipality_id"))
        batch_op.drop_index(batch_op.f("ix_consultation_meeting_id"))

    op.drop_table("consultation")
