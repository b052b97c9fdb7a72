"""``shopscope rfm | clv | audience`` on demo stores through the CLI.

Commands run in-process through Typer's runner (a subprocess start costs seconds on a busy
machine); one subprocess run checks the real entry point's error line and exit code.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from shopscope.cli import retention
from shopscope.cli.main import state
from shopscope.errors import ShopscopeError


@pytest.fixture
def invoke(monkeypatch):  # type: ignore[no-untyped-def]
    """Run ``shopscope <retention command> ...`` in-process on ``url``."""
    app = typer.Typer()
    retention.register(app)
    runner = CliRunner()

    def run(url: str, *args: str):  # type: ignore[no-untyped-def]
        monkeypatch.setattr(state, "warehouse", url)
        return runner.invoke(app, list(args))

    return run


def _error(result) -> str:  # type: ignore[no-untyped-def]
    assert isinstance(result.exception, ShopscopeError), result.output
    return str(result.exception)


def _demo(tmp_path: Path, demo_url: str) -> str:
    """A writable copy of the session's small demo store (seed 42, ending 2026-06-30)."""
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_url.removeprefix("duckdb:///"), db)
    return f"duckdb:///{db}"


def test_rfm_and_clv_commands(tmp_path, invoke, demo_url):  # type: ignore[no-untyped-def]
    url = _demo(tmp_path, demo_url)
    r = invoke(url, "rfm", "-f", "json")
    assert r.exit_code == 0, r.output
    segments = json.loads(r.stdout)
    assert {s["segment"] for s in segments} >= {"Champions", "Lost"}
    assert abs(sum(s["share"] for s in segments) - 1) < 1e-9
    r = invoke(url, "rfm", "--migration-from", "2026-03-31", "--as-of", "2026-06-30", "-f", "json")
    assert r.exit_code == 0 and any(m["from_segment"] == "(new)" for m in json.loads(r.stdout))
    assert "use 5 or 3" in _error(invoke(url, "rfm", "--bins", "4"))
    r = invoke(url, "clv", "fit", "-f", "json")
    assert r.exit_code == 0, r.output
    params = {(p["model"], p["param"]): p["estimate"] for p in json.loads(r.stdout)}
    assert set(params) >= {("BG/NBD", "r"), ("BG/NBD", "alpha"), ("Gamma-Gamma", "p")}
    assert all(v > 0 for v in params.values())


def test_clv_predict_evaluate_churn_and_audiences(tmp_path, invoke, demo_url):  # type: ignore[no-untyped-def]
    url = _demo(tmp_path, demo_url)
    r = invoke(url, "clv", "fit", "--model", "mbgnbd", "--bootstrap", "20", "-f", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)
    methods = {row["method"].split(" ")[0] for row in rows if row["model"] == "MBG/NBD"}
    assert methods == {"hessian", "bootstrap"}
    assert all(row["lower_95"] < row["estimate"] < row["upper_95"] for row in rows)

    r = invoke(url, "clv", "predict", "--limit", "5", "--months", "6", "-f", "json")
    assert r.exit_code == 0, r.output
    pred = json.loads(r.stdout)
    assert len(pred) == 5 and pred[0]["clv"] >= pred[-1]["clv"] > 0
    assert all(0 <= p["p_alive"] <= 1 for p in pred)
    one = invoke(url, "clv", "predict", "--customer", pred[2]["customer_id"], "-f", "json")
    [again] = json.loads(one.stdout)
    assert again["customer_id"] == pred[2]["customer_id"]
    assert again["clv"] > pred[2]["clv"]  # default 12 months vs 6 above

    r = invoke(url, "clv", "evaluate", "--calibration-end", "2025-12-31", "-f", "json")
    assert r.exit_code == 0, r.output
    ev = json.loads(r.stdout)
    assert ev["buckets"][0]["frequency"] == "0" and ev["error"]["customers"] > 0

    r = invoke(url, "clv", "churn", "--from", "2026-03-31", "--limit", "10",
               "--save-audience", "at-risk", "-f", "csv")  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("customer_id,x,days_since_last_purchase") and len(lines) == 11

    r = invoke(url, "audience", "save", "champs", "--segment", "Champions")
    assert r.exit_code == 0, r.output
    r = invoke(url, "audience", "list", "-f", "json")
    assert {a["name"] for a in json.loads(r.stdout)} == {"at-risk", "champs"}
    out = tmp_path / "champs.csv"
    r = invoke(url, "audience", "export", "champs", "-o", str(out))
    assert r.exit_code == 0 and out.read_text().startswith("customer_id,rank,score,email_opt_in")
    r = invoke(url, "audience", "export", "at-risk")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 11

    assert "use bgnbd, mbgnbd or paretonbd" in _error(invoke(url, "clv", "fit", "--model", "x"))
    assert "Saved audiences: at-risk, champs" in _error(invoke(url, "audience", "export", "nope"))
    assert "exactly one of" in _error(invoke(url, "audience", "save", "x"))
    err = _error(invoke(url, "clv", "fit", "--calibration-end", "2001-01-01"))
    assert "before the first order" in err

    # the real entry point: one error line on stderr, exit 1
    proc = subprocess.run(
        [sys.executable, "-m", "shopscope", "-w", url, "audience", "export", "nope"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 1 and proc.stderr.startswith("Error: No audience 'nope'")
