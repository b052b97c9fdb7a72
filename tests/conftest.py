"""Shared fixtures: an in-memory warehouse and the path to ../shared/data (skip when absent)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from shopscope.warehouse.connection import Warehouse, connect

os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Properties are about results, not speed: a busy CI machine must not fail them on a deadline.
settings.register_profile("shopscope", deadline=None)
settings.load_profile("shopscope")

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


DEMO_END = date(2026, 6, 30)


@pytest.fixture(scope="session")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a small demo store (seed 42, ending 2026-06-30), generated once per test session.

    Open it with ``connect(demo_url, read_only=True)``; never write to it.
    """
    from shopscope.warehouse.demo import generate_demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    url = f"duckdb:///{path}"
    with connect(url) as warehouse:
        generate_demo(warehouse, size="small", seed=42, end_date=DEMO_END)
    return url


@pytest.fixture(scope="session")
def demo_wh(demo_url: str) -> Iterator[Warehouse]:
    """The session's small demo store, opened read-only and shared by tests."""
    warehouse = connect(demo_url, read_only=True)
    yield warehouse
    warehouse.close()
