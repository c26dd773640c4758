"""Storage: engine, sessions, declarative base, column types and Alembic migrations."""
