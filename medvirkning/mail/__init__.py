"""E-mail through a transactional outbox: written with the change that causes it, sent by a
worker that retries with growing pauses and never loses or doubles a message."""
