"""The parity suite: every registered query gives the same result on DuckDB and Spark.

Also: copies between backends are lossless, a Parquet-backed Spark warehouse reopens, and the
comparison and the registry themselves catch what they should.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa
import pytest

from shopscope.errors import NotFoundError
from shopscope.warehouse.connection import Warehouse, arrow_schema, connect
from shopscope.warehouse.parity import (
    PARITY_QUERIES,
    ParityQuery,
    check_parity,
    compare_results,
    discover_parity_queries,
    register_parity_query,
)
from shopscope.warehouse.schema import CANONICAL_TABLES, TABLES
from shopscope.warehouse.sync import copy_warehouse

__all__: list[str] = []

QUERIES = discover_parity_queries()


def _types(schema: pa.Schema) -> list[tuple[str, pa.DataType]]:
    # Names and types; nullability differs by design (DuckDB reports NOT NULL columns).
    return [(f.name, f.type) for f in schema]


def _exact(a: pa.Table, b: pa.Table, name: str) -> list[str]:
    return compare_results(a, b, sort_by=TABLES[name].primary_key, rtol=0.0, atol=0.0)


# -- the suite --------------------------------------------------------------------------------


def test_seed_queries_are_registered() -> None:
    assert len(QUERIES) >= 10
    assert len({q.name for q in QUERIES}) == len(QUERIES)


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_runs_on_duckdb(query: ParityQuery, duck_shop: Warehouse) -> None:
    result = query.build(duck_shop).to_pyarrow()
    assert result.num_rows > 0, f"{query.name} returned no rows on the fixture shop"
    missing = [k for k in query.sort_by if k not in result.column_names]
    assert not missing, f"{query.name}: sort_by columns {missing} not in the result"


@pytest.mark.spark
@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_query_parity(query: ParityQuery, duck_shop: Warehouse, spark_shop: Warehouse) -> None:
    assert check_parity(query, duck_shop, spark_shop) == []


# -- copies between backends ----------------------------------------------------------------


@pytest.mark.spark
def test_round_trip_through_spark_is_lossless(
    shop_tables: dict[str, pa.Table], spark_url: str
) -> None:
    source = connect("duckdb://:memory:")
    for name, data in shop_tables.items():
        source.write_arrow(name, data, mode="overwrite")
    spark = connect(spark_url)
    back = connect("duckdb://:memory:")
    try:
        to_spark = copy_warehouse(source, spark)
        to_duck = copy_warehouse(spark, back)
        assert to_spark == to_duck
        for t in CANONICAL_TABLES:
            assert to_spark[t.name] == shop_tables[t.name].num_rows
            original = shop_tables[t.name]
            copied = back.to_arrow(t.name)
            assert _types(copied.schema) == _types(arrow_schema(t.name)), t.name
            assert _exact(original, copied, t.name) == [], t.name
            assert [c.null_count for c in copied.columns] == [
                c.null_count for c in original.columns
            ], t.name
        # System tables exist (empty) and cross too.
        assert to_spark["quarantine"] == 0
        assert spark.has_table("quarantine")
    finally:
        source.close()
        back.close()
        spark.close()


@pytest.mark.spark
def test_timestamps_keep_microseconds_in_spark(
    synthetic_spark: Warehouse,
) -> None:
    t = synthetic_spark.table("orders")
    edge = t.filter(t.order_id == "O00001").select("ordered_at").to_pyarrow()
    assert edge.column(0).to_pylist() == [datetime(2026, 1, 31, 23, 59, 59, 999_999)]
    day = t.filter(t.order_id == "O00001").ordered_at.date().to_pyarrow()
    assert str(day.to_pylist()[0]) == "2026-01-31"


@pytest.mark.spark
def test_parquet_warehouse_reopens(
    shop_tables: dict[str, pa.Table], synthetic_duck: Warehouse, spark_url: str, tmp_path: Path
) -> None:
    duck_shop = synthetic_duck
    url = f"spark:///{tmp_path / 'lake'}"  # four slashes: an absolute path
    names = ["orders", "tickets", "inventory", "ingest_log"]
    first = connect(url, create=False)
    try:
        counts = copy_warehouse(duck_shop, first, tables=names)
    finally:
        first.close()
    assert counts["ingest_log"] == 0
    folders = sorted(p.name for p in (tmp_path / "lake").iterdir())
    assert folders == sorted(names)

    again = connect(url, create=False)
    try:
        assert again.list_tables() == sorted(names)
        for name in ("orders", "tickets", "inventory"):
            copied = again.to_arrow(name)
            assert copied.num_rows == counts[name]
            assert _exact(duck_shop.to_arrow(name), copied, name) == [], name
        assert _types(again.to_arrow("ingest_log").schema) == _types(arrow_schema("ingest_log"))
        # Appending adds a Parquet file; the view sees both.
        extra = (
            shop_tables["tickets"]
            .slice(0, 3)
            .set_column(0, "ticket_id", pa.array(["X1", "X2", "X3"]))
        )
        again.write_arrow("tickets", extra)
        assert again.table("tickets").count().to_pyarrow().as_py() == counts["tickets"] + 3
    finally:
        again.close()

    # The files are standard Parquet: DuckDB reads the same instants back.
    files = str(tmp_path / "lake" / "orders" / "*.parquet")
    direct = duckdb.sql(f"SELECT order_id, ordered_at FROM read_parquet('{files}')").arrow()
    if isinstance(direct, pa.RecordBatchReader):
        direct = direct.read_all()
    expected = duck_shop.table("orders").select("order_id", "ordered_at").to_pyarrow()
    assert compare_results(expected, direct, sort_by=("order_id",), rtol=0.0, atol=0.0) == []


def test_copy_between_duckdb_warehouses_in_batches(synthetic_duck: Warehouse) -> None:
    duck_shop = synthetic_duck
    target = connect("duckdb://:memory:")
    try:
        counts = copy_warehouse(duck_shop, target, tables=["order_items", "events"], batch_rows=97)
        for name in ("order_items", "events"):
            assert counts[name] == duck_shop.to_arrow(name).num_rows
            assert _exact(duck_shop.to_arrow(name), target.to_arrow(name), name) == []
        again = copy_warehouse(duck_shop, target, tables=["order_items"], batch_rows=97)
        assert target.to_arrow("order_items").num_rows == again["order_items"]
    finally:
        target.close()


def test_copy_rejects_unknown_tables_and_self_copies(synthetic_duck: Warehouse) -> None:
    duck_shop = synthetic_duck
    target = connect("duckdb://:memory:")
    try:
        with pytest.raises(NotFoundError, match="not_a_table"):
            copy_warehouse(duck_shop, target, tables=["orders", "not_a_table"])
        with pytest.raises(ValueError, match="same warehouse"):
            copy_warehouse(duck_shop, duck_shop)
    finally:
        target.close()


# -- compare_results --------------------------------------------------------------------------


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": ["a", "b", "c"],
            "n": [1, 2, 3],
            "x": [1.0, None, 3.0],
            "at": pd.Series(
                [pd.Timestamp("2026-01-01 00:00:00.000001"), pd.Timestamp("2026-01-02"), pd.NaT],
                dtype="datetime64[us]",
            ),
        }
    )


def test_compare_equal_results_in_any_order() -> None:
    a = _frame()
    b = a.iloc[::-1].reset_index(drop=True)
    b.loc[0, "x"] = 3.0 * (1 + 1e-12)
    assert compare_results(a, pa.Table.from_pandas(b), sort_by=("key",), rtol=1e-9) == []


def test_compare_detects_a_changed_value() -> None:
    b = _frame()
    b.loc[2, "x"] = 3.001
    diffs = compare_results(_frame(), b, sort_by=("key",), rtol=1e-9)
    assert diffs == ["row (key='c'): column x: left 3.0 != right 3.001"]


def test_compare_detects_a_missing_row() -> None:
    diffs = compare_results(_frame(), _frame().iloc[:2], sort_by=("key",), rtol=1e-9)
    assert "row count: left 3, right 2" in diffs
    assert "row (key='c') only in left" in diffs


def test_compare_detects_null_versus_value() -> None:
    b = _frame()
    b.loc[1, "x"] = 0.0
    assert compare_results(_frame(), b, sort_by=("key",)) == [
        "row (key='b'): column x: left None != right 0.0"
    ]


def test_compare_timestamps_exactly() -> None:
    b = _frame()
    b.loc[0, "at"] = pd.Timestamp("2026-01-01 00:00:00.000002")
    diffs = compare_results(_frame(), b, sort_by=("key",))
    assert len(diffs) == 1
    assert "column at" in diffs[0]
    aware = _frame()
    aware["at"] = aware["at"].dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
    assert compare_results(_frame(), aware, sort_by=("key",)) == []


def test_compare_detects_changed_columns_and_types() -> None:
    b = _frame().rename(columns={"n": "m"})
    assert compare_results(_frame(), b, sort_by=("key",)) == [
        "columns differ: only left ['n'], only right ['m']"
    ]
    c = _frame().assign(n=["1", "2", "3"])
    assert compare_results(_frame(), c, sort_by=("key",)) == ["column n: type int64 vs string"]


def test_compare_without_keys_matches_by_position_after_sorting() -> None:
    a = pa.table({"v": [3, 1, 2]})
    assert compare_results(a, pa.table({"v": [1, 2, 3]})) == []
    assert compare_results(a, pa.table({"v": [1, 2, 4]})) == [
        "row (v=3): column v: left 3 != right 4"
    ]


# -- the registry -----------------------------------------------------------------------------


def test_registry_rejects_duplicate_names() -> None:
    existing = PARITY_QUERIES[0]
    with pytest.raises(ValueError, match="already registered"):
        register_parity_query(existing.name, existing.build, sort_by=existing.sort_by)
    assert [q.name for q in PARITY_QUERIES].count(existing.name) == 1


def test_registry_accepts_a_new_query_and_validates_it() -> None:
    def build(wh: Warehouse) -> ir.Table:
        return wh.table("orders").count().as_table()

    query = register_parity_query("test_only_order_count", build, sort_by=())
    try:
        assert PARITY_QUERIES[-1] is query
    finally:
        PARITY_QUERIES.remove(query)
    with pytest.raises(ValueError, match="snake_case"):
        ParityQuery("bad name", build, ())
    with pytest.raises(ValueError, match="tolerance"):
        ParityQuery("ok_name", build, (), tolerance=-1.0)
