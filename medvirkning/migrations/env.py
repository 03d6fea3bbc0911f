"""Alembic environment: runs on the connection that medvirkning.migrate hands it."""

from alembic import context
from sqlalchemy import text

from medvirkning.models import metadata

connection = context.config.attributes["connection"]
if connection.dialect.name == "postgresql":
    # Instances starting together must not migrate at the same time.
    connection.execute(text("SELECT pg_advisory_xact_lock(72050)"))
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
