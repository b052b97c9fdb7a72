"""``shopscope route`` and ``shopscope pick`` on the demo store (in-process, one subprocess)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import typer
from typer.testing import CliRunner

from shopscope.cli import logistics
from shopscope.cli.main import state
from shopscope.errors import ConfigurationError, InvalidInputError

__all__: list[str] = []


@pytest.fixture
def invoke(monkeypatch):
    """Run the commands in-process (a subprocess start-up costs seconds)."""
    app = typer.Typer()
    logistics.register(app)
    runner = CliRunner()

    def run(url: str | None, *args: str):
        monkeypatch.setattr(state, "warehouse", url)
        return runner.invoke(app, list(args))

    return run


def test_route_manifest_chart_and_bad_input(demo_url, tmp_path, invoke):
    manifest, chart = tmp_path / "m.csv", tmp_path / "r.html"
    r = invoke(
        demo_url, "route", "--time-limit", "1", "--vehicles", "4", "--capacity", "80",
        "--manifest", str(manifest), "--chart", str(chart), "-f", "json",
        "--manifest-dir", str(tmp_path / "per"),
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    plan = doc["plan"]
    stops = sum(len(v["stops"]) for v in plan["routes"])
    assert stops == plan["stops"] > 0
    with manifest.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == stops and {"vehicle", "stop_id", "arrival", "late_by"} <= set(rows[0])
    assert "plotly" in chart.read_text(encoding="utf-8")[:5000].lower()
    per = sorted((tmp_path / "per").glob("*.csv"))
    assert len(per) == len(plan["routes"])
    assert sum(len(p.read_text(encoding="utf-8").splitlines()) - 1 for p in per) == stops
    # a delivery window that closes before the shift starts is reported, not hidden
    windows = tmp_path / "w.csv"
    windows.write_text(f"order_id,start,end\n{rows[0]['stop_id']},07:00,07:30\n", encoding="utf-8")
    r = invoke(
        demo_url, "route", "--time-limit", "0.5", "--vehicles", "4", "--capacity", "80",
        "--windows", str(windows), "-f", "json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    late = json.loads(r.stdout)["plan"]
    assert late["unreachable_stops"] == [rows[0]["stop_id"]]
    assert rows[0]["stop_id"] in late["late_stops"]
    r = invoke(demo_url, "route", "--capacity", "1", "--time-limit", "1")
    assert isinstance(r.exception, InvalidInputError)
    assert "largest vehicle capacity (1)" in str(r.exception)
    r = invoke(demo_url, "route", "--depot", "nowhere")
    assert isinstance(r.exception, ConfigurationError) and "NAME:LAT:LON" in str(r.exception)


def test_route_error_exits_1_with_message(demo_url, tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "shopscope", "-w", demo_url, "route", "--capacity", "1"],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert r.returncode == 1 and r.stderr.startswith("Error:")
    assert "split those orders" in r.stderr


@pytest.mark.shared_data
def test_route_instance_mode(shared_data, invoke):
    path = shared_data / "cvrplib" / "A-n32-k5.vrp"
    r = invoke(None, "route", "--instance", str(path), "--time-limit", "1", "-f", "csv")
    assert r.exit_code == 0, r.output
    row = next(csv.DictReader(r.stdout.splitlines()))
    assert row["instance"] == "A-n32-k5" and row["feasible"] == "True"
    assert float(row["best_known"]) == 784 and float(row["gap_percent"]) >= 0


def test_pick_lists_and_slotting(demo_url, invoke):
    r = invoke(demo_url, "pick", "-f", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["batches"] and doc["distance_m"] <= doc["single_order_distance_m"]
    r = invoke(demo_url, "pick", "--slotting", "-f", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("sku,picks,rank,slot")
