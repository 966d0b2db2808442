"""Persistence: one database gateway (SQLite today), migrations, a module per aggregate, and
the queries that must scale."""
