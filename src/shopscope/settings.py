"""Deployment settings, read from ``SHOPSCOPE_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["DEFAULT_DATA_DIR", "Settings", "default_warehouse_url"]

DEFAULT_DATA_DIR = Path("shopscope-data")


def default_warehouse_url() -> str:
    """The embedded default: a DuckDB file under ``./shopscope-data/``."""
    return f"duckdb:///{DEFAULT_DATA_DIR / 'warehouse.duckdb'}"


class Settings(BaseSettings):
    """Settings of one shopscope deployment.

    Attributes
    ----------
    warehouse:
        Warehouse URL (``SHOPSCOPE_WAREHOUSE``); see :func:`shopscope.warehouse.connect`.
    threads:
        Worker threads the embedded engine may use (``SHOPSCOPE_THREADS``; 0 = all cores).
    """

    model_config = SettingsConfigDict(env_prefix="SHOPSCOPE_", extra="ignore")

    warehouse: str = default_warehouse_url()
    threads: int = 0
