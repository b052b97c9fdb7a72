"""Ingest throughput: shopscope's validated ingest beside DuckDB's raw read_csv and pandas.

Workloads
---------
online-retail
    ``../shared/data/online-retail/online_retail.csv.gz`` (541,909 lines) with the built-in
    adapter.
demo-lines-N
    A flat order-line export of the demo store (one row per line with its order's fields), N lines
    (default: the ``large`` demo, >= 10 million lines; ``BENCH_DEMO_SIZE`` to change), ingested
    with a mapping file.

Subjects
--------
duckdb-read_csv (reference, the practical limit)
    ``CREATE TABLE AS SELECT * FROM read_csv(file)`` into a DuckDB file: no validation at all.
shopscope-ingest
    ``ingest_file``: staging, validation, keys, references, quarantine, one transaction.
pandas-read_csv+validate
    What a user would otherwise write: ``pd.read_csv`` then the same rules in pandas (types,
    required values, ranges, adjustments, keys, derived orders/customers/products), loaded
    into DuckDB.

Targets (foundation issue): shopscope >= 0.40x of DuckDB's raw read_csv, >= 5x pandas.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.runner import Measurement, best_of, print_table, save
from shopscope.warehouse.connection import connect
from shopscope.warehouse.ingest import ingest_file
from shopscope.warehouse.schema import ORDER_STATUSES
from shopscope.warehouse.sources.mapping import MappingAdapter
from shopscope.warehouse.sources.online_retail import OnlineRetail

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / "results" / "cache"

FLAT_MAPPING = """
[tables.orders]
aggregate = true

[tables.orders.columns]
order_id = "order_id"
ordered_at = "ordered_at"
customer_id = "customer_id"
status = "status"
channel = "channel"
device = "device"
currency = "currency"

[tables.order_items.columns]
order_id = "order_id"
line_no = "line_no"
sku = "sku"
quantity = "quantity"
unit_price = "unit_price"
"""


def _fresh_db(tmp: Path, name: str) -> Path:
    path = tmp / f"{name}.duckdb"
    for p in (path, path.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    return path


def _duckdb_raw(path: Path, tmp: Path) -> Callable[[], object]:
    def run() -> object:
        con = duckdb.connect(str(_fresh_db(tmp, "raw")))
        con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}')")
        con.close()
        return None

    return run


def _shopscope(
    path: Path, tmp: Path, adapter_factory: Callable[[], object]
) -> Callable[[], object]:
    def run() -> object:
        wh = connect(f"duckdb:///{_fresh_db(tmp, 'shopscope')}")
        report = ingest_file(wh, path, adapter_factory())  # type: ignore[arg-type]
        wh.close()
        return report

    return run


def _load_pandas(con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]) -> None:
    for name, frame in frames.items():
        con.register("_df", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _df")
        con.unregister("_df")


def _pandas_online_retail(path: Path, tmp: Path) -> Callable[[], object]:
    def run() -> object:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        qty = pd.to_numeric(df.Quantity, errors="coerce")
        price = pd.to_numeric(df.UnitPrice, errors="coerce")
        ts = pd.to_datetime(df.InvoiceDate, errors="coerce", format="%Y-%m-%d %H:%M:%S")
        ts = ts.dt.tz_localize("Europe/London", ambiguous="NaT", nonexistent="NaT")
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
        is_c = df.InvoiceNo.str.startswith("C")
        refused = (~is_c & (qty < 0)) | df.InvoiceNo.str.startswith("A")
        bad = qty.isna() | price.isna() | ts.isna() | (price < 0) | (df.StockCode.str.strip() == "")
        ok = df[~(refused | bad)].assign(quantity=qty, unit_price=price, ordered_at=ts)
        ok["line_no"] = ok.groupby("InvoiceNo").cumcount() + 1
        ok["customer_id"] = ok.CustomerID.str.replace(r"\.0$", "", regex=True).replace("", None)
        ok["value"] = ok.quantity * ok.unit_price
        assert not ok.duplicated(["InvoiceNo", "line_no"]).any()
        orders = (
            ok.groupby("InvoiceNo")
            .agg(
                customer_id=("customer_id", "first"),
                ordered_at=("ordered_at", "min"),
                gross_amount=("value", "sum"),
                ship_country=("Country", "first"),
            )
            .reset_index()
        )
        orders["status"] = orders.InvoiceNo.str.startswith("C").map(
            {True: "cancelled", False: "completed"}
        )
        customers = (
            ok.dropna(subset=["customer_id"])
            .groupby("customer_id")
            .agg(first_seen_at=("ordered_at", "min"), country=("Country", "last"))
            .reset_index()
        )
        products = (
            ok.groupby("StockCode")
            .agg(title=("Description", "last"), price=("unit_price", "last"))
            .reset_index()
        )
        items = ok[["InvoiceNo", "line_no", "StockCode", "quantity", "unit_price"]]
        quarantine = df[refused | bad]
        con = duckdb.connect(str(_fresh_db(tmp, "pandas")))
        _load_pandas(
            con,
            {
                "orders": orders,
                "customers": customers,
                "products": products,
                "order_items": items,
                "quarantine": quarantine,
            },
        )
        con.close()
        return None

    return run


def _pandas_flat(path: Path, tmp: Path) -> Callable[[], object]:
    def run() -> object:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        qty = pd.to_numeric(df.quantity, errors="coerce")
        price = pd.to_numeric(df.unit_price, errors="coerce")
        line = pd.to_numeric(df.line_no, errors="coerce")
        ts = pd.to_datetime(df.ordered_at, errors="coerce", format="ISO8601")
        allowed = set(ORDER_STATUSES)
        bad = (
            qty.isna()
            | price.isna()
            | line.isna()
            | ts.isna()
            | (price < 0)
            | ~df.status.isin(allowed)
            | (df.order_id == "")
            | (df.sku == "")
        )
        ok = df[~bad].assign(quantity=qty, unit_price=price, line_no=line, ordered_at=ts)
        dup = ok.duplicated(["order_id", "line_no"], keep=False)
        ok = ok[~dup]
        orders = (
            ok.groupby("order_id", sort=False)
            .agg(
                ordered_at=("ordered_at", "first"),
                customer_id=("customer_id", "first"),
                status=("status", "first"),
                channel=("channel", "first"),
                device=("device", "first"),
                currency=("currency", "first"),
            )
            .reset_index()
        )
        items = ok[["order_id", "line_no", "sku", "quantity", "unit_price"]]
        con = duckdb.connect(str(_fresh_db(tmp, "pandas")))
        _load_pandas(
            con,
            {
                "orders": orders,
                "order_items": items,
                "quarantine": df[bad | bad.index.isin(dup[dup].index)],
            },
        )
        con.close()
        return None

    return run


def demo_lines_csv(size: str | int) -> Path:
    """A flat order-line CSV of the demo store of ``size`` (a preset or target lines; cached)."""
    from shopscope.warehouse.demo import generate_demo

    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"demo-lines-{size}.csv"
    if out.exists():
        return out
    db = CACHE / f"demo-{size}.duckdb"
    wh = connect(f"duckdb:///{db}")
    generate_demo(wh, size=size, seed=7, end_date=date(2026, 6, 30))
    wh.duckdb.execute(
        "COPY (SELECT i.order_id, i.line_no, strftime(o.ordered_at, '%Y-%m-%d %H:%M:%S') AS "
        "ordered_at, o.customer_id, o.status, o.channel, o.device, o.currency, i.sku, "
        "i.quantity, i.unit_price FROM order_items i JOIN orders o USING (order_id) "
        f"ORDER BY o.ordered_at, i.order_id, i.line_no) TO '{out}' (HEADER)"
    )
    wh.close()
    db.unlink(missing_ok=True)
    return out


def main() -> None:
    rows: list[Measurement] = []
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    with tempfile.TemporaryDirectory(prefix="shopscope-bench-") as tmp_name:
        tmp = Path(tmp_name)
        retail = SHARED / "online-retail" / "online_retail.csv.gz"
        if retail.exists():
            n = 541_909
            for subject, fn in [
                ("duckdb-read_csv", _duckdb_raw(retail, tmp)),
                ("shopscope-ingest", _shopscope(retail, tmp, OnlineRetail)),
                ("pandas-read_csv+validate", _pandas_online_retail(retail, tmp)),
            ]:
                best, _ = best_of(repeats, fn)
                rows.append(Measurement("ingest", "online-retail", subject, best, n))
        else:
            print("../shared/data/online-retail absent: skipping that workload")
        size = os.environ.get("BENCH_DEMO_SIZE", "large")  # large: >= 10 million lines
        flat = demo_lines_csv(int(size) if size.isdigit() else size)
        mapping = tmp / "flat.toml"
        mapping.write_text(FLAT_MAPPING, encoding="utf-8")
        n = sum(1 for _ in flat.open("rb")) - 1
        workload = f"demo-lines-{n}"
        flat_repeats = min(repeats, 2) if n > 2_000_000 else repeats
        for subject, fn in [
            ("duckdb-read_csv", _duckdb_raw(flat, tmp)),
            ("shopscope-ingest", _shopscope(flat, tmp, lambda: MappingAdapter.from_file(mapping))),
            ("pandas-read_csv+validate", _pandas_flat(flat, tmp)),
        ]:
            best, _ = best_of(flat_repeats, fn)
            rows.append(Measurement("ingest", workload, subject, best, n))
    print_table(rows, "duckdb-read_csv", target="shopscope >= 0.40x duckdb-read_csv, >= 5x pandas")
    print_table(rows, "pandas-read_csv+validate")
    print(f"results: {save('ingest', rows)}")


if __name__ == "__main__":
    main()
