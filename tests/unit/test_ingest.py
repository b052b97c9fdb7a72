"""Ingestion: mapping files, formats, accounting, idempotency and atomicity."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopscope.errors import ConfigurationError, FileFormatError, IngestError, MissingColumnsError
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.ingest import ingest_file, loader
from shopscope.warehouse.sources.mapping import MappingAdapter, load_mapping

ORDERS_MAPPING = """
[source]
timezone = "Europe/Berlin"

[tables.orders]
aggregate = true
columns = { order_id = "order", ordered_at = "date", customer_id = "customer", status = "status" }
constants = { currency = "EUR" }
values.status = { "Shipped" = "completed", "Storniert" = "cancelled" }

[tables.order_items.columns]
order_id = "order"
line_no = "pos"
sku = "sku"
quantity = "qty"
unit_price = "price"
"""

HEADER = "order,pos,date,customer,status,sku,qty,price\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def adapter(tmp_path: Path) -> MappingAdapter:
    return MappingAdapter.from_file(write(tmp_path / "m.toml", ORDERS_MAPPING))


def counts(wh: Warehouse) -> dict[str, int]:
    names = ["customers", "products", "orders", "order_items", "quarantine", "ingest_log"]
    return {n: wh.duckdb.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names}


def quarantine(wh: Warehouse) -> list[tuple[str, int, str, str]]:
    return wh.duckdb.execute(
        "SELECT table_name, line, reason_code, reason FROM quarantine ORDER BY line, table_name"
    ).fetchall()


def test_mapping_loads_orders_lines_and_placeholders(wh: Warehouse, adapter, tmp_path):
    f = write(
        tmp_path / "o.csv",
        HEADER
        + "A1,1,2024-03-31 01:30:00,c1,Shipped,S1,2,3.5\n"
        + "A1,2,,c1,,S2,1,10\n"
        + "A2,1,2024-07-01 12:00:00,c2,Storniert,S1,-1,3.5\n",
    )
    report = ingest_file(wh, f, adapter)
    assert (report.records, report.loaded, report.quarantined) == (3, 3, 0)
    rows = wh.duckdb.execute(
        "SELECT order_id, customer_id, ordered_at::VARCHAR, status, currency FROM orders ORDER BY 1"
    ).fetchall()
    # 01:30 CET on the day DST starts is 00:30 UTC; 12:00 CEST is 10:00 UTC
    assert rows == [
        ("A1", "c1", "2024-03-31 00:30:00", "completed", "EUR"),
        ("A2", "c2", "2024-07-01 10:00:00", "cancelled", "EUR"),
    ]
    # soft references: customers and products get placeholder rows
    assert counts(wh)["customers"] == 2 and counts(wh)["products"] == 2
    first_seen = wh.duckdb.execute(
        "SELECT first_seen_at::VARCHAR FROM customers WHERE customer_id = 'c1'"
    ).fetchone()
    assert first_seen == ("2024-03-31 00:30:00",)


@pytest.mark.parametrize(
    ("line", "code", "message"),
    [
        (
            "B1,1,31/12/2024,c1,Shipped,S1,1,2.0",
            "bad_value",
            "cannot read '31/12/2024' as timestamp",
        ),
        ("B1,1,2024-01-01,c1,Shipped,S1,1,-2.0", "out_of_range", "unit_price: -2.0 is below"),
        ("B1,1,2024-01-01,c1,Lost,S1,1,2.0", "not_allowed", "'Lost' is not allowed; allowed:"),
        ("B1,1,2024-01-01,c1,Shipped,S1,one,2.0", "bad_value", "cannot read 'one' as int"),
        ("B1,1,2024-01-01,c1,Shipped,S1,INFINITY,2.0", "bad_value", "read 'INFINITY' as int"),
        ("B1,1,2024-01-01,c1,Shipped,S1,1,nan", "bad_value", "cannot read 'nan' as float"),
        ("B1,,2024-01-01,c1,Shipped,S1,1,2.0", "missing_value", "line_no: a value is required"),
        ("B1,1,2024-01-01,c1,Shipped,S1,1", "unparseable_record", "MISSING COLUMNS"),
    ],
)
def test_bad_values_are_quarantined_with_reasons(wh, adapter, tmp_path, line, code, message):
    good = "G1,1,2024-01-01,c1,Shipped,S1,1,2.0\n"
    f = write(tmp_path / "bad.csv", HEADER + good + line + "\n" + good.replace("G1", "G2"))
    report = ingest_file(wh, f, adapter)
    assert report.records == 3
    assert report.loaded + report.quarantined == 3
    rows = [q for q in quarantine(wh) if q[1] == 3]
    assert rows, quarantine(wh)
    assert any(q[2] == code and message in q[3] for q in rows), rows
    raw = wh.duckdb.execute("SELECT raw_record FROM quarantine WHERE line = 3 LIMIT 1").fetchone()
    assert "B1" in raw[0]


def test_conflicting_duplicate_orders_are_quarantined(wh, tmp_path):
    mapping = write(
        tmp_path / "o.toml",
        '[tables.orders]\ncolumns = { order_id = "id", ordered_at = "at", status = "st" }\n',
    )
    f = write(
        tmp_path / "o.csv",
        "id,at,st\nX,2024-01-01,paid\nX,2024-01-02,paid\nY,2024-01-01,paid\nY,2024-01-01,paid\n",
    )
    report = ingest_file(wh, f, MappingAdapter.from_file(mapping))
    assert (report.loaded, report.quarantined) == (1, 3)
    reasons = {(q[1], q[2]) for q in quarantine(wh)}
    assert reasons == {(2, "key_conflict"), (3, "key_conflict"), (5, "duplicate_row")}
    assert "appears on lines 2, 3 with different content" in quarantine(wh)[0][3]


def test_lines_of_unknown_orders_are_quarantined(wh, tmp_path):
    mapping = write(
        tmp_path / "i.toml",
        '[tables.order_items]\ncolumns = { order_id = "o", line_no = "n", sku = "s", '
        'quantity = "q", unit_price = "p" }\n',
    )
    f = write(tmp_path / "i.csv", "o,n,s,q,p\nNOPE,1,S,1,1.0\n")
    report = ingest_file(wh, f, MappingAdapter.from_file(mapping))
    assert report.quarantined == 1
    assert quarantine(wh)[0][2] == "unknown_reference"
    assert "'NOPE' does not exist in orders" in quarantine(wh)[0][3]


def test_windows_1252_file_is_transcoded(wh, tmp_path):
    mapping = write(
        tmp_path / "p.toml",
        '[tables.products]\ncolumns = { sku = "sku", title = "title" }\n'
        'constants = { item_kind = "product" }\n',
    )
    f = write(tmp_path / "p.csv", "sku,title\nS1,Café crème – 5 €\n", encoding="cp1252")
    report = ingest_file(wh, f, MappingAdapter.from_file(mapping))
    assert report.encoding == "cp1252" and report.loaded == 1
    assert wh.duckdb.execute("SELECT title FROM products").fetchone() == ("Café crème – 5 €",)


def test_jsonl_and_parquet(wh, tmp_path):
    mapping = write(
        tmp_path / "e.toml",
        '[tables.events]\ncolumns = { event_id = "id", occurred_at = "ts", event_type = "type", '
        'properties = "props" }\n',
    )
    events = [
        {"id": "e1", "ts": "2024-05-01T10:00:00Z", "type": "page_view", "props": {"a": 1}},
        {"id": "e2", "ts": "2024-05-01T10:00:00+02:00", "type": "purchase"},
    ]
    f = write(tmp_path / "e.jsonl", "\n".join(json.dumps(e) for e in events) + "\n{broken\n")
    report = ingest_file(wh, f, MappingAdapter.from_file(mapping))
    assert (report.records, report.loaded, report.quarantined) == (3, 2, 1)
    assert wh.duckdb.execute(
        "SELECT event_id, occurred_at::VARCHAR, properties FROM events ORDER BY 1"
    ).fetchall() == [("e1", "2024-05-01 10:00:00", '{"a":1}'), ("e2", "2024-05-01 08:00:00", None)]
    table = pa.table(
        {"id": ["e3"], "ts": ["2024-05-02 00:00:00"], "type": ["search"], "props": [None]}
    )
    pq.write_table(table, tmp_path / "e.parquet")
    report = ingest_file(wh, tmp_path / "e.parquet", MappingAdapter.from_file(mapping))
    assert report.loaded == 1


def _truncated_gzip() -> bytes:
    body = HEADER + "".join(
        f"T{i},1,2024-01-01,c{i},Shipped,S{i * 7919 % 10007},1,{i}.5\n" for i in range(20000)
    )
    whole = gzip.compress(body.encode())
    return whole[: len(whole) * 2 // 3]


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "is empty"),
        (bytes(range(256)) * 4, "not a text file"),
        (_truncated_gzip(), "truncated"),
    ],
)
def test_unreadable_files_raise_and_change_nothing(wh, adapter, tmp_path, content, match):
    name = "x.csv.gz" if content[:2] == b"\x1f\x8b" else "x.csv"
    f = tmp_path / name
    f.write_bytes(content)
    before = counts(wh)
    with pytest.raises(FileFormatError, match=match):
        ingest_file(wh, f, adapter)
    assert counts(wh) == before


def test_missing_column_lists_expected_and_found(wh, adapter, tmp_path):
    f = write(tmp_path / "o.csv", "order,when\nA,2024-01-01\n")
    with pytest.raises(MissingColumnsError, match=r"Expected: order, .*Found: order, when") as e:
        ingest_file(wh, f, adapter)
    assert "--mapping" in str(e.value)


def test_reingest_is_idempotent(wh, adapter, tmp_path):
    body = HEADER + "A1,1,2024-01-01,c1,Shipped,S1,2,3.5\nA1,2,,c1,,S2,1,10\n"
    f = write(tmp_path / "o.csv", body)
    first = ingest_file(wh, f, adapter)
    after_first = counts(wh)
    again = ingest_file(wh, f, adapter)
    assert again.status == "skipped" and again.batch_id == first.batch_id
    assert counts(wh) == after_first
    # a different file overlapping the first: known lines unchanged, new line loaded
    g = write(tmp_path / "o2.csv", body + "A3,1,2024-01-05,c3,Shipped,S1,1,3.5\n")
    third = ingest_file(wh, g, adapter)
    assert (third.loaded, third.unchanged, third.quarantined) == (1, 2, 0)
    assert counts(wh)["order_items"] == 3 and counts(wh)["orders"] == 2
    forced = ingest_file(wh, f, adapter, force=True)
    assert (forced.loaded, forced.unchanged) == (0, 2)


def test_conflict_with_existing_fact_is_quarantined(wh, adapter, tmp_path):
    ingest_file(
        wh, write(tmp_path / "a.csv", HEADER + "A1,1,2024-01-01,c1,Shipped,S1,2,3.5\n"), adapter
    )
    report = ingest_file(
        wh, write(tmp_path / "b.csv", HEADER + "A1,1,2024-01-01,c1,Shipped,S1,9,3.5\n"), adapter
    )
    assert report.quarantined == 1
    assert quarantine(wh)[-1][2] == "conflicts_with_existing"
    assert wh.duckdb.execute("SELECT quantity FROM order_items").fetchone() == (2,)


def test_failure_mid_ingest_rolls_back(wh, adapter, tmp_path, monkeypatch):
    ingest_file(
        wh, write(tmp_path / "a.csv", HEADER + "A1,1,2024-01-01,c1,Shipped,S1,2,3.5\n"), adapter
    )
    before = counts(wh)
    real = loader.load_table
    calls = {"n": 0}

    def crash_on_second_table(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "load_table", crash_on_second_table)
    f = write(tmp_path / "b.csv", HEADER + "B1,1,2024-01-02,c9,Shipped,S7,1,1.0\n")
    with pytest.raises(IngestError, match=r"rolled back; the warehouse is unchanged.*disk on fire"):
        ingest_file(wh, f, adapter)
    assert calls["n"] == 2
    assert counts(wh) == before


def test_killed_process_leaves_warehouse_unchanged(tmp_path):
    """A real crash: the ingesting process is SIGKILLed after the first table was written."""
    db = tmp_path / "wh.duckdb"
    mapping = write(tmp_path / "m.toml", ORDERS_MAPPING)
    lines = "".join(f"K{i},1,2024-01-01,c{i % 7},Shipped,S{i % 5},1,2.0\n" for i in range(2000))
    data = write(tmp_path / "o.csv", HEADER + lines)
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from shopscope.warehouse.connection import connect
        from shopscope.warehouse.ingest import ingest_file, loader
        from shopscope.warehouse.sources.mapping import MappingAdapter
        real = loader.load_table
        calls = []
        def die(*a, **k):
            calls.append(1)
            out = real(*a, **k)
            if len(calls) == 2:
                os.kill(os.getpid(), signal.SIGKILL)
            return out
        loader.load_table = die
        wh = connect("duckdb:///{db}")
        ingest_file(wh, Path("{data}"), MappingAdapter.from_file(Path("{mapping}")))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, check=False)
    assert proc.returncode == -9, proc.stderr.decode()
    wh = connect(f"duckdb:///{db}")
    assert counts(wh) == dict.fromkeys(
        ["customers", "products", "orders", "order_items", "quarantine", "ingest_log"], 0
    )
    report = ingest_file(wh, data, MappingAdapter.from_file(mapping))
    assert report.loaded == 2000
    wh.close()


@pytest.mark.parametrize(
    ("toml", "match"),
    [
        ("[tables.nope]\ncolumns = {}\n", "unknown table 'nope'"),
        ('[tables.orders]\ncolumns = { order_no = "x" }\n', "unknown column.*order_no"),
        ("not toml [", "not valid TOML"),
        ("[tables]\n", "map at least one table"),
    ],
)
def test_invalid_mapping_files(tmp_path, toml, match):
    with pytest.raises(ConfigurationError, match=match):
        load_mapping(write(tmp_path / "m.toml", toml))


def test_reject_lines_account_for_skipped_records(wh, adapter, tmp_path):
    f = write(
        tmp_path / "o.csv",
        HEADER
        + "A1,1,2024-01-01,c1,Shipped,S1,2,3.5\n"
        + "A1,2,2024-01-01,c1,Shipped,S1,2,3.5,EXTRA\n"
        + "A1,3,2024-01-01,c1,Shipped,S1,2,3.5\n",
    )
    report = ingest_file(wh, f, adapter)
    assert (report.loaded, report.quarantined) == (2, 1)
    assert wh.duckdb.execute("SELECT line_no FROM order_items ORDER BY 1").fetchall() == [
        (1,),
        (3,),
    ]
    assert quarantine(wh)[0][:3] == ("order_items", 3, "unparseable_record")
    raw = wh.duckdb.execute("SELECT raw_record FROM quarantine").fetchone()[0]
    assert raw.endswith("EXTRA")


def test_connect_in_memory_is_empty_and_typed():
    wh = connect("duckdb://:memory:")
    assert "orders" in wh.list_tables()
    assert wh.table("orders").count().execute() == 0


def test_directory_loads_referenced_tables_first(wh, tmp_path):
    from shopscope.warehouse.ingest import ingest_path
    from shopscope.warehouse.sources.mapping import Mapping, TableMapping

    folder = tmp_path / "export"
    folder.mkdir()
    write(folder / "a_order_items.csv", "o,n,s,q,p\nX1,1,S,1,1.0\n")
    write(folder / "b_orders.csv", "id,at,st\nX1,2024-01-01,paid\n")
    items = MappingAdapter(
        Mapping(
            tables={
                "order_items": TableMapping(
                    columns={
                        "order_id": "o",
                        "line_no": "n",
                        "sku": "s",
                        "quantity": "q",
                        "unit_price": "p",
                    }
                )
            }
        )
    )
    orders = MappingAdapter(
        Mapping(
            tables={
                "orders": TableMapping(
                    columns={"order_id": "id", "ordered_at": "at", "status": "st"}
                )
            }
        )
    )

    def choose(columns: list[str], path: Path) -> MappingAdapter:
        return orders if "id" in columns else items

    reports = ingest_path(wh, folder, choose)
    assert [Path(r.path).name for r in reports] == ["b_orders.csv", "a_order_items.csv"]
    assert [r.quarantined for r in reports] == [0, 0]


@pytest.mark.parametrize(
    ("zone", "text", "utc"),
    [
        ("UTC", "2024-05-01 10:00:00", "2024-05-01 10:00:00"),
        ("UTC", "2024-05-01T10:00:00Z", "2024-05-01 10:00:00"),
        ("UTC", "2024-05-01T10:00:00+02:00", "2024-05-01 08:00:00"),
        ("UTC", "2024-05-01 10:00:00 -0500", "2024-05-01 15:00:00"),
        ("UTC", "2024-05-01 10:00:00 Europe/Berlin", "2024-05-01 08:00:00"),
        ("UTC", "2024-05-01", "2024-05-01 00:00:00"),
        ("America/New_York", "2024-05-01 10:00:00", "2024-05-01 14:00:00"),
        ("America/New_York", "2024-05-01 10:00:00+00:00", "2024-05-01 10:00:00"),
        ("America/New_York", "2024-05-01T10:00:00Z", "2024-05-01 10:00:00"),
        ("Asia/Shanghai", "2024-01-01 07:59:59.5", "2023-12-31 23:59:59.5"),
    ],
)
def test_timestamps_with_and_without_zones_become_utc(wh, tmp_path, zone, text, utc):
    mapping = write(
        tmp_path / "e.toml",
        f'[source]\ntimezone = "{zone}"\n[tables.events]\n'
        'columns = { event_id = "id", occurred_at = "ts", event_type = "type" }\n',
    )
    f = write(tmp_path / "e.csv", f'id,ts,type\ne1,"{text}",search\n')
    report = ingest_file(wh, f, MappingAdapter.from_file(mapping))
    assert report.loaded == 1, wh.duckdb.execute("SELECT reason FROM quarantine").fetchall()
    got = wh.duckdb.execute("SELECT occurred_at::VARCHAR FROM events").fetchone()[0]
    assert got == utc


def test_demo_replaces_ingest_history_so_reingest_loads_again(wh, adapter, tmp_path):
    from shopscope.warehouse.demo import generate_demo

    f = write(tmp_path / "o.csv", HEADER + "A1,1,2024-01-01,c1,Shipped,S1,2,3.5\n")
    ingest_file(wh, f, adapter)
    generate_demo(wh, size=1000, seed=3, end_date=date(2025, 1, 31), days=60)
    assert counts(wh)["ingest_log"] == 0 and counts(wh)["quarantine"] == 0
    again = ingest_file(wh, f, adapter)
    assert again.status == "loaded" and again.loaded == 1
