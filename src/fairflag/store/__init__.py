"""Persistence: SQLAlchemy tables, the database handle and Alembic migrations (SQLite and PostgreSQL)."""
