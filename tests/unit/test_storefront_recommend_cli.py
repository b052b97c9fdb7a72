"""``shopscope recommend``: build, lookups with fallback, evaluate, export (in-process), and the
real CLI's error path (subprocess)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date

import pytest
import typer
from typer.testing import CliRunner

from shopscope.cli import storefront
from shopscope.cli.main import state
from shopscope.errors import ConfigurationError
from shopscope.warehouse.connection import connect
from shopscope.warehouse.demo import generate_demo


@pytest.fixture
def invoke(monkeypatch):
    """Run the commands in-process (a subprocess start-up costs seconds)."""
    app = typer.Typer()
    storefront.register(app)
    runner = CliRunner()

    def run(url: str, *args: str):
        monkeypatch.setattr(state, "warehouse", url)
        return runner.invoke(app, list(args))

    return run


def test_recommend_commands(tmp_path, invoke):
    db = tmp_path / "w.duckdb"
    with connect(f"duckdb:///{db}") as wh:
        generate_demo(wh, size=2000, seed=3, end_date=date(2026, 6, 30))
    url = f"duckdb:///{db}"

    # the real CLI: a domain error is one line on stderr and exit 1
    r = subprocess.run(
        [sys.executable, "-m", "shopscope", "-w", url, "recommend", "user", "C00000001"],
        cwd=tmp_path,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert r.returncode == 1 and "recommend build" in r.stderr and r.stdout == ""

    r = invoke(url, "recommend", "build", "--model", "als", "-k", "8", "-f", "json")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.stdout)
    assert summary["model"] == "als" and summary["chosen_by"] == "requested"
    assert summary["user_rows"] > 0 and summary["k"] == 8

    r = invoke(url, "recommend", "user", "nobody", "-k", "3", "-f", "json")
    assert r.exit_code == 0, r.output
    reco = json.loads(r.stdout)
    assert reco["source"] == "fallback:trending" and len(reco["items"]) == 3

    r = invoke(url, "recommend", "item", "X", "--list", "nope")
    assert isinstance(r.exception, ConfigurationError)
    assert "bought_together, also_viewed, similar" in str(r.exception)

    r = invoke(
        url, "recommend", "evaluate", "--models", "popular,als", "--factors", "8", "-k", "5",
        "-f", "json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert [m["model"] for m in result["models"]] == ["popular", "als"]
    assert result["k"] == 5 and result["test_users"] > 0
    r = invoke(url, "recommend", "evaluate", "--models", "popular", "-k", "5")
    assert r.exit_code == 0, r.output
    assert "│ popular " in r.stdout

    out = tmp_path / "campaign.csv"
    r = invoke(url, "recommend", "export", str(out), "-k", "2", "-f", "json")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == json.loads(r.stdout)["rows"] > 0
    assert {row["rank"] for row in rows} == {"1", "2"}
