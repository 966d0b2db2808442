"""The table of who may log in to the butlers' page (``store/users.py``), made by migration
0031 (``store/migrations.py``): kept here so that the migrations import no aggregate."""

# Migration 0031 (store/migrations.py). A butler sees only the owners of their butler name, a
# manager all; the password is an argon2id hash; a disabled user keeps their row (the audit log
# names them) but logs in no more.
APP_USER = """
CREATE TABLE app_user (
    id INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL UNIQUE,
    role VARCHAR NOT NULL,
    butler VARCHAR,
    password_hash VARCHAR,
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
)
"""
