"""``shopscope funnel`` and ``shopscope experiment list|analyze|power|register`` on the demo store.

Commands run in process on a Typer app holding only this module's commands (fast); the error
path runs the real ``python -m shopscope`` once for its exit code and one-line message.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import duckdb
import typer
from typer.testing import CliRunner

from shopscope.cli.conversion import register
from shopscope.cli.main import state

_app = typer.Typer()
register(_app)
_runner = CliRunner()


def _run(url: str, *args: str):
    before = state.warehouse
    state.warehouse = url
    try:
        return _runner.invoke(_app, list(args), catch_exceptions=False)
    finally:
        state.warehouse = before


def test_funnel_formats_and_views(demo_url):
    r = _run(demo_url, "funnel", "--per", "session", "--breakdown", "device", "-f", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert next(s["event_type"] for s in doc["steps"]) == "product_view"
    assert doc["breakdown"] == "device" and doc["groups"]
    r = _run(demo_url, "funnel", "--abandoned", "--limit", "2", "-f", "json")
    assert {"anonymous_id", "skus", "value"} <= set(json.loads(r.stdout)[0])


def test_experiment_register_analyze_list_power(demo_url, tmp_path):
    db = tmp_path / "copy.duckdb"
    shutil.copy(demo_url.removeprefix("duckdb:///"), db)
    url = f"duckdb:///{db}"
    con = duckdb.connect(str(db), read_only=True)
    eid = con.execute(
        "SELECT text FROM demo_truth WHERE domain = 'experiment' AND name = 'experiment_id'"
    ).fetchone()[0]
    con.close()
    register = ["experiment", "register", eid, "--hypothesis", "bigger button"]
    register += ["--metrics", "conversion,revenue,aov", "--guardrails", "orders", "-f", "json"]
    r = _run(url, *register)
    assert r.exit_code == 0, r.output
    r = _run(url, "experiment", "analyze", eid, "--record", "-f", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["decision"]["summary"] and doc["srm"]["mismatch"] is False
    # metrics and guardrails come from the registry entry
    assert [x["metric"] for x in doc["results"]] == ["conversion", "revenue", "aov", "orders"]
    r = _run(url, "experiment", "list", "-f", "json")
    (exp,) = json.loads(r.stdout)
    assert exp["registered"] and exp["status"] == "decided"
    assert exp["decision"] == doc["decision"]["verdict"]
    r = _run(url, "experiment", "power", "--experiment", eid, "--mde", "0.1", "-f", "json")
    plan = json.loads(r.stdout)
    assert plan["n_control"] > 0 and plan["days"] > 0


def test_errors_are_one_line(demo_url):
    proc = subprocess.run(
        [sys.executable, "-m", "shopscope", "-w", demo_url, "experiment", "analyze", "nope"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: Experiment 'nope' has no exposures")
