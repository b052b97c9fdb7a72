"""The business report: assembly, degenerate shops, offline HTML, and the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.insight.html import report_html
from shopscope.insight.periods import DateRange, resolve_range
from shopscope.insight.report import SECTIONS, build_report
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.demo import generate_demo
from shopscope.warehouse.ingest import ingest_file
from shopscope.warehouse.sources.mapping import Mapping, MappingAdapter, TableMapping

END = date(2026, 6, 30)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "w.duckdb"
    wh = connect(f"duckdb:///{path}")
    generate_demo(wh, size="small", seed=5, end_date=END)
    wh.close()
    return path


def test_full_report_on_the_demo_store(demo):
    with connect(f"duckdb:///{demo}", read_only=True) as wh:
        period = resolve_range(wh)
        report = build_report(wh, period)
    assert period == DateRange(date(2026, 6, 3), END)
    assert report.previous == DateRange(date(2026, 5, 6), date(2026, 6, 2))
    assert len(report.kpis) == 17 and all(k.current is not None for k in report.kpis)
    assert report.series is not None and report.series.num_rows == 28
    assert report.drivers is not None and report.drivers.headline.startswith("Revenue")
    assert set(report.breakdowns) == {"channel", "device", "category", "country"}
    assert report.cohorts is not None and report.ltv is not None
    assert report.notes == ()


def test_report_html_is_self_contained(demo):
    with connect(f"duckdb:///{demo}", read_only=True) as wh:
        report = build_report(wh, resolve_range(wh))
    page = report_html(report)
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"<script[^>]+src=", page), "plotly.js must be inlined"
    assert "<link" not in page
    assert "Plotly.newPlot" in page and "Net revenue" in page


def _orders_only_shop(tmp_path: Path) -> Warehouse:
    wh = connect("duckdb://:memory:")
    csv = tmp_path / "lines.csv"
    rows = ["order,pos,at,customer,sku,qty,price"]
    for day in range(1, 57):
        stamp = date(2026, 1, 1).toordinal() + day
        for n in range(3):
            rows.append(
                f"O{day}-{n},1,{date.fromordinal(stamp)} 10:00:00,c{(day + n) % 9},S{n},1,9.5"
            )
    csv.write_text("\n".join(rows) + "\n", encoding="utf-8")
    mapping = Mapping(
        tables={
            "orders": TableMapping(
                columns={"order_id": "order", "ordered_at": "at", "customer_id": "customer"},
                constants={"status": "completed"},
                aggregate=True,
            ),
            "order_items": TableMapping(
                columns={
                    "order_id": "order",
                    "line_no": "pos",
                    "sku": "sku",
                    "quantity": "qty",
                    "unit_price": "price",
                }
            ),
        }
    )
    ingest_file(wh, csv, MappingAdapter(mapping))
    return wh


def test_shop_without_events_reports_unavailable_not_zero(tmp_path):
    wh = _orders_only_shop(tmp_path)
    report = build_report(wh, resolve_range(wh))
    sessions = next(k for k in report.kpis if k.key == "sessions")
    assert sessions.current is None and "no events" in (sessions.reason or "")
    assert any("Sessions" in n for n in report.notes)
    orders = next(k for k in report.kpis if k.key == "orders")
    assert orders.current == 28 * 3


def test_bad_requests():
    wh = connect("duckdb://:memory:")
    with pytest.raises(NotFoundError, match="no orders"):
        resolve_range(wh)
    with pytest.raises(InvalidInputError, match="Unknown report section"):
        build_report(wh, DateRange(END, END), sections=("kpis", "gossip"))
    with pytest.raises(InvalidInputError, match="starts 2026-06-30 after it ends"):
        DateRange(END, date(2026, 6, 1))
    assert "kpis" in SECTIONS


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopscope", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=dict(os.environ),
    )


def test_report_cli_json_html_and_errors(demo, tmp_path):
    url = f"duckdb:///{demo}"
    r = _cli(
        "-w",
        url,
        "report",
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-30",
        "--compare",
        "yoy",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["period"] == {"start": "2026-06-01", "end": "2026-06-30"}
    assert doc["compare"] == "yoy" and doc["previous"]["start"] == "2025-06-02"
    assert {k["key"] for k in doc["kpis"]} >= {"gmv", "net_revenue", "orders", "aov"}
    out = tmp_path / "r.html"
    r = _cli("-w", url, "report", "-f", "html", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0 and out.read_text(encoding="utf-8").startswith("<!doctype html>")
    r = _cli("-w", url, "report", "--from", "2030-01-01", "--to", "2030-01-31", cwd=tmp_path)
    assert r.returncode == 1 and "outside the data" in r.stderr
    r = _cli("-w", url, "report", "--compare", "lastyear", cwd=tmp_path)
    assert r.returncode == 1 and "use previous or yoy" in r.stderr
    empty = tmp_path / "empty.duckdb"
    connect(f"duckdb:///{empty}").close()
    r = _cli("-w", f"duckdb:///{empty}", "report", cwd=tmp_path)
    assert r.returncode == 1 and "no orders" in r.stderr


def test_terminal_anomalies_show_the_kpi_unit_and_whole_driver_lines(monkeypatch, capsys):
    from shopscope.cli.insight import _print_anomalies
    from shopscope.cli.output import Format
    from shopscope.insight.anomalies import Anomaly

    monkeypatch.setenv("COLUMNS", "80")
    driver = "channel=organic_search: orders -73% vs usual (79% of the change)"
    rate = Anomaly(
        date(2026, 6, 3), "conversion_rate", 0.0281, 0.0325, -4.28, "down", -0.135, (driver,)
    )
    money = Anomaly(date(2026, 6, 4), "gmv", 2500.0, 1500.0, 5.1, "up", 0.667, ())
    _print_anomalies([rate, money], Format.table)
    out = capsys.readouterr().out
    assert re.search(r"2026-06-03 │ Conversion rate │ 2\.8% +│ 3\.2% +│ -13\.5% │ -4\.3 ", out)
    assert re.search(r"2026-06-04 │ GMV +│ 2,500\.00 │ 1,500\.00 │ \+66\.7% │ \+5\.1 ", out)
    assert f"  2026-06-03 Conversion rate: {driver}\n" in out  # one line, not a folded column
    _print_anomalies([rate], Format.csv)
    assert capsys.readouterr().out.splitlines()[1].endswith(f",{driver}")  # machine formats: raw
