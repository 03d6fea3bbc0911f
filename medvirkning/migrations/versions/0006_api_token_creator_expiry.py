"""Sign-in counters per key, stand-in links for unknown addresses, API token expiry.

The sign-in attempts become one counter row per client or address (counted up
atomically); their old rows are only rate-limit history and are dropped.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import warnings
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sign_in_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_attempt_client_key"))
        batch_op.drop_index(batch_op.f("ix_sign_in_attempt_at"))
        batch_op.drop_index(batch_op.f("ix_sign_in_attempt_address_key"))
    op.drop_table("sign_in_attempt")
    op.create_table(
        "sign_in_attempt",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_attempt")),
    )
    with op.batch_alter_table("sign_in_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_attempt_window_start"), ["window_start"], unique=False
        )

    with warnings.catch_warnings():
        # SQLite's table copy reflects person, whose lower(email) index it cannot read.
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table("sign_in_link", schema=None) as batch_op:
            batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=True)

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_column("expires_at")

    op.execute("DELETE FROM sign_in_link WHERE person_id IS NULL")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        with op.batch_alter_table("sign_in_link", schema=None) as batch_op:
            batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table("sign_in_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_attempt_window_start"))
    op.drop_table("sign_in_attempt")
    op.create_table(
        "sign_in_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempt")),
    )
    with op.batch_alter_table("sign_in_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_attempt_address_key"), ["address_key"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sign_in_attempt_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_sign_in_attempt_client_key"), ["client_key"], unique=False
        )
