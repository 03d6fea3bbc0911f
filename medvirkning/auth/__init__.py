"""Sign-in by e-mail link, sessions, roles with scopes, API tokens, and the access rules."""
