"""``shopscope assortment ...`` on the demo store (in-process)."""

from __future__ import annotations

import csv
import json

import pytest
import typer
from typer.testing import CliRunner

from shopscope.cli import assortment
from shopscope.cli.main import state
from shopscope.errors import ConfigurationError

__all__: list[str] = []


@pytest.fixture
def invoke(monkeypatch):
    """Run the commands in-process (a subprocess start-up costs seconds)."""
    app = typer.Typer()
    assortment.register(app)
    runner = CliRunner()

    def run(url: str, *args: str):
        monkeypatch.setattr(state, "warehouse", url)
        return runner.invoke(app, list(args))

    return run


def test_assortment_commands(demo_url, invoke):
    r = invoke(demo_url, "assortment", "abc", "-f", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert len(doc["matrix"]) == 9 and doc["items"]
    r = invoke(demo_url, "assortment", "basket", "--limit", "5", "-f", "csv")
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(r.stdout.splitlines()))
    assert 0 < len(rows) <= 5 and {"support", "confidence", "lift"} <= set(rows[0])
    r = invoke(demo_url, "assortment", "together", "--top", "2", "-f", "json")
    assert r.exit_code == 0, r.output
    assert all(x["rank"] <= 2 for x in json.loads(r.stdout))
    r = invoke(demo_url, "assortment", "slow", "--all", "-f", "json")
    assert r.exit_code == 0, r.output
    assert {t["status"] for t in json.loads(r.stdout)["totals"]} <= {
        "dead", "slow", "negative_stock", "ok"
    }  # fmt: skip
    r = invoke(demo_url, "assortment", "elasticity", "-f", "json")
    assert r.exit_code == 0, r.output
    assert all("ci_low" in e for e in json.loads(r.stdout))
    r = invoke(demo_url, "assortment", "abc", "--from", "2026-13-01")
    assert isinstance(r.exception, ConfigurationError) and "YYYY-MM-DD" in str(r.exception)
