"""Involvement surveys in the service: the engine (`surveys/`) wired to the database, the
pages and the outbox."""
