"""Properties of ingestion: nothing lost, valid data round-trips, re-ingest is a no-op."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscope.warehouse.connection import connect
from shopscope.warehouse.ingest import ingest_file
from shopscope.warehouse.sources.mapping import MappingAdapter, load_mapping

MAPPING = """
[tables.order_items.columns]
order_id = "order"
line_no = "line"
sku = "sku"
quantity = "qty"
unit_price = "price"
"""

ORDERS = """
[tables.orders.columns]
order_id = "order"
ordered_at = "at"
status = "status"
"""

text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=12)
field = st.one_of(text, st.integers(-5, 50).map(str), st.floats(-10, 100).map(repr))
PROFILE = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


@PROFILE
@given(rows=st.lists(st.lists(field, min_size=5, max_size=5), min_size=1, max_size=40))
def test_every_record_is_loaded_or_quarantined(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("p")
    wh = connect("duckdb://:memory:")
    order_ids = sorted({r[0].strip() for r in rows if r[0].strip()})
    if order_ids:
        wh.duckdb.executemany(
            "INSERT INTO orders (order_id, ordered_at, status) VALUES (?, '2024-01-01', 'paid')",
            [[o] for o in order_ids],
        )
    (tmp / "m.toml").write_text(MAPPING, encoding="utf-8")
    path = tmp / "items.csv"
    path.write_text(_csv(["order", "line", "sku", "qty", "price"], rows), encoding="utf-8")
    report = ingest_file(wh, path, MappingAdapter(load_mapping(tmp / "m.toml")))
    assert report.records == len(rows)
    assert report.loaded + report.unchanged + report.quarantined == len(rows)
    stored = wh.duckdb.execute("SELECT count(*) FROM order_items").fetchone()[0]
    assert stored == report.loaded
    lines = wh.duckdb.execute("SELECT count(DISTINCT line) FROM quarantine").fetchone()[0]
    assert lines == report.quarantined
    wh.close()


orders = st.lists(
    st.tuples(
        st.integers(0, 10**9),
        st.datetimes(datetime(2000, 1, 1), datetime(2030, 1, 1)),
        st.sampled_from(["placed", "paid", "completed", "cancelled", "returned"]),
    ),
    min_size=1,
    max_size=40,
    unique_by=lambda o: o[0],
)


@PROFILE
@given(data=orders)
def test_valid_orders_round_trip_and_reingest_is_a_no_op(tmp_path_factory, data):
    tmp: Path = tmp_path_factory.mktemp("r")
    (tmp / "o.toml").write_text(ORDERS, encoding="utf-8")
    rows = [[f"O{i}", at.isoformat(sep=" "), status] for i, at, status in data]
    path = tmp / "orders.csv"
    path.write_text(_csv(["order", "at", "status"], rows), encoding="utf-8")
    wh = connect("duckdb://:memory:")
    adapter = MappingAdapter(load_mapping(tmp / "o.toml"))
    report = ingest_file(wh, path, adapter)
    assert (report.loaded, report.quarantined) == (len(rows), 0)
    back = wh.duckdb.execute("SELECT order_id, ordered_at, status FROM orders").fetchall()
    expected = {(f"O{i}", at, s) for i, at, s in data}
    assert set(back) == expected
    forced = ingest_file(wh, path, adapter, force=True)
    assert (forced.loaded, forced.unchanged) == (0, len(rows))
    assert wh.duckdb.execute("SELECT count(*) FROM orders").fetchone()[0] == len(rows)
    wh.close()
