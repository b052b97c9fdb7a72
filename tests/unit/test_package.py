"""The public surface: exports, schema doc freshness, URL parsing, errors."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

import shopscope
from shopscope.errors import NotFoundError, WarehouseURLError
from shopscope.warehouse.connection import connect, parse_url
from shopscope.warehouse.schema import TABLES, data_model_markdown

REPO = Path(__file__).resolve().parents[2]


def _modules() -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages(shopscope.__path__, "shopscope.")
        if not m.name.startswith("shopscope.cli") and m.name != "shopscope.__main__"
    ]


@pytest.mark.parametrize("name", _modules())
def test_every_module_declares_all_and_it_resolves(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names missing attributes {missing}"
    assert len(set(exported)) == len(exported)


def test_package_exports_are_exact():
    assert shopscope.__all__ == ["Warehouse", "__version__", "connect"]
    import shopscope.warehouse as w

    assert sorted(w.__all__) == sorted(
        [
            "TABLES",
            "Table",
            "Warehouse",
            "connect",
            "parse_url",
            "quarantine_rows",
            "shop_summary",
            "warehouse_status",
        ]
    )


def test_data_model_doc_is_current():
    """docs/data-model.md is generated from schema.py: regenerate with `shopscope docs`."""
    doc = (REPO / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert doc == data_model_markdown() + "\n"


def test_schema_is_consistent():
    for table in TABLES.values():
        for fk in table.foreign_keys:
            assert fk.table in TABLES
            assert fk.ref_column in TABLES[fk.table].column_index
            assert fk.column in table.column_index
    assert TABLES["orders"].primary_key == ("order_id",)
    assert "CREATE TABLE IF NOT EXISTS orders" in TABLES["orders"].ddl()


@pytest.mark.parametrize(
    ("url", "backend", "path"),
    [
        ("duckdb:///data/w.duckdb", "duckdb", "data/w.duckdb"),
        ("duckdb:////abs/w.duckdb", "duckdb", "/abs/w.duckdb"),
        ("duckdb://:memory:", "duckdb", None),
        ("local.duckdb", "duckdb", "local.duckdb"),
        ("spark:////tmp/wh", "spark", "/tmp/wh"),
        ("spark:///wh", "spark", "wh"),
        ("spark://", "spark", None),
    ],
)
def test_parse_url(url, backend, path):
    parsed = parse_url(url)
    assert parsed.backend == backend
    assert (str(parsed.path) if parsed.path else None) == path


@pytest.mark.parametrize("url", ["postgres://x/y", "warehouse", "mysql://a"])
def test_bad_urls_explain_the_accepted_forms(url):
    with pytest.raises(WarehouseURLError, match=r"duckdb:///path/to/file\.duckdb"):
        parse_url(url)


def test_missing_table_and_missing_read_only_file(tmp_path):
    wh = connect("duckdb://:memory:")
    with pytest.raises(NotFoundError, match=r"Table 'nope' not found.*Tables: ad_spend"):
        wh.table("nope")
    with pytest.raises(NotFoundError, match="does not exist"):
        connect(f"duckdb:///{tmp_path / 'none.duckdb'}", read_only=True)
