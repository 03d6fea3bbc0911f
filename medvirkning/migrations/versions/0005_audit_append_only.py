"""The audit log refuses TRUNCATE and entries not dated now.

Row triggers (0002) do not fire on TRUNCATE, and an INSERT could back-date an entry.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# How far an entry's time may be from the database's clock (app and database clocks differ).
SKEW_SECONDS = 60


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
        op.execute(
            "CREATE FUNCTION audit_event_dated_now() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.at IS NULL OR "
            f"abs(extract(epoch FROM NEW.at - clock_timestamp())) > {SKEW_SECONDS} THEN "
            "RAISE EXCEPTION 'an audit event must be dated now'; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_dated_now BEFORE INSERT ON audit_event "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_dated_now()"
        )
        return
    # SQLite has no TRUNCATE: `DELETE FROM` is refused by 0002's trigger.
    op.execute(
        "CREATE TRIGGER audit_event_dated_now BEFORE INSERT ON audit_event WHEN NEW.at IS NULL "
        f"OR abs(julianday(NEW.at) - julianday('now')) * 86400 > {SKEW_SECONDS} "
        "BEGIN SELECT RAISE(ABORT, 'an audit event must be dated now'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_dated_now ON audit_event")
        op.execute("DROP FUNCTION audit_event_dated_now()")
        op.execute("DROP TRIGGER audit_event_no_truncate ON audit_event")
    else:
        op.execute("DROP TRIGGER audit_event_dated_now")
