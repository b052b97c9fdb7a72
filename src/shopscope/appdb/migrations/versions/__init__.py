"""Alembic revision files (one module per revision, applied in order)."""

__all__: list[str] = []
