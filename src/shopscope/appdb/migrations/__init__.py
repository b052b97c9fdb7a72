"""Alembic migrations of the application database, run by :func:`shopscope.appdb.migrate`."""

__all__: list[str] = []
