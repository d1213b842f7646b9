"""Storage of factories, batches and records through SQLAlchemy 2; schema by Alembic migrations."""
