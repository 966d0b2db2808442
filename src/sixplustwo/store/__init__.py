"""Persistence: SQLModel tables over SQLite, migrations, and the queries that must scale."""
