"""A decision concerns a set of municipalities (decision_municipality), not one or all.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 23:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_municipality",
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_id"],
            ["municipality.id"],
            name=op.f("fk_decision_municipality_municipality_id_municipality"),
        ),
        sa.PrimaryKeyConstraint(
            "decision_id", "municipality_id", name=op.f("pk_decision_municipality")
        ),
    )
    with op.batch_alter_table("decision_municipality", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_municipality_municipality_id"),
            ["municipality_id"],
            unique=False,
        )
    # A decision's one municipality stays; no municipality meant all of them.
    op.execute(
        "INSERT INTO decision_municipality (decision_id, municipality_id) "
        "SELECT id, municipality_id FROM decision WHERE municipality_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO decision_municipality (decision_id, municipality_id) "
        "SELECT decision.id, municipality.id FROM decision CROSS JOIN municipality "
        "WHERE decision.municipality_id IS NULL"
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_constraint("fk_decision_municipality_id_municipality", type_="foreignkey")
        batch_op.drop_column("municipality_id")
    # Only now: SQLite drops and rebuilds `decision` above, refused while rows point at it.
    with op.batch_alter_table("decision_municipality", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_municipality_decision_id_decision"),
            "decision",
            ["decision_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_id", sa.Integer(), nullable=True))
    # One municipality is kept; several can only be told as "all of them" (none).
    op.execute(
        "UPDATE decision SET municipality_id = (SELECT min(municipality_id) "
        "FROM decision_municipality WHERE decision_id = decision.id) "
        "WHERE (SELECT count(*) FROM decision_municipality "
        "WHERE decision_id = decision.id) = 1"
    )
    with op.batch_alter_table("decision_municipality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_municipality_municipality_id"))
    op.drop_table("decision_municipality")
    # Only now: SQLite rebuilds `decision` for the constraint, refused while rows point at it.
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_decision_municipality_id_municipality"),
            "municipality",
            ["municipality_id"],
            ["id"],
        )
