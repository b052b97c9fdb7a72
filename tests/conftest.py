"""Shared fixtures: an in-memory warehouse and the path to ../shared/data (skip when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shopscope.warehouse.connection import Warehouse, connect

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def wh() -> Iterator[Warehouse]:
    """A fresh in-memory DuckDB warehouse with the canonical tables."""
    warehouse = connect("duckdb://:memory:")
    yield warehouse
    warehouse.close()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; tests using it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA
