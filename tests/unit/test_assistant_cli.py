"""``shopscope assist`` through the real CLI on a small demo store."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from shopscope.cli import assist
from shopscope.cli.main import state
from shopscope.errors import ShopscopeError
from shopscope.warehouse.connection import connect
from shopscope.warehouse.demo import generate_demo

FAQ = """# FAQ

## How long does shipping take?
tags: shipping_time
Standard delivery takes 3-5 working days.

## 退货政策是什么？
tags: return_refund
收到商品30天内可以退货。
"""


@pytest.fixture
def invoke(monkeypatch):
    """Run ``shopscope assist ...`` in-process (the subprocess start-up costs seconds)."""
    app = typer.Typer()
    assist.register(app)
    runner = CliRunner()

    def run(url: str, *args: str):
        monkeypatch.setattr(state, "warehouse", url)
        return runner.invoke(app, list(args))

    return run


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopscope", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_assist_commands(tmp_path, invoke):
    db = tmp_path / "w.duckdb"
    wh = connect(f"duckdb:///{db}")
    generate_demo(wh, size=2_000, seed=5, end_date=date(2026, 6, 30))
    order_id, status = wh.duckdb.execute(
        "SELECT order_id, status FROM orders ORDER BY order_id LIMIT 1"
    ).fetchone()
    tickets = wh.duckdb.execute("SELECT count(*) FROM tickets").fetchone()[0]
    wh.close()
    url = f"duckdb:///{db}"
    faq = tmp_path / "faq.md"
    faq.write_text(FAQ, encoding="utf-8")

    r = invoke(url, "assist", "kb", "load", str(faq), "-f", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[0]["total"] == 2

    r = invoke(url, "assist", "ask", f"我的订单{order_id}到哪了", "-f", "json")
    assert r.exit_code == 0, r.output
    answer = json.loads(r.stdout)
    assert (answer["reason"], answer["language"]) == ("order_found", "zh")
    assert answer["order"]["status"] == status and order_id in answer["reply"]

    r = invoke(url, "assist", "ask", "How long does shipping take?", "-f", "csv")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1].startswith("reply,1.0,faq_match,Standard delivery takes")

    r = invoke(url, "assist", "tickets", "-f", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["tickets"] == tickets

    r = invoke(url, "assist", "kb", "list", "-f", "csv")
    assert r.exit_code == 0 and "退货政策是什么？" in r.stdout

    queries = tmp_path / "q.csv"
    queries.write_text(
        "query,expected\nhow long is shipping,How long does shipping take?\n", encoding="utf-8"
    )
    r = invoke(url, "assist", "evaluate", "--queries", str(queries), "-f", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["top1"] == 1.0

    r = invoke(url, "assist", "ask", "   ")
    assert isinstance(r.exception, ShopscopeError) and "question is empty" in str(r.exception)
    r = invoke(url, "assist", "evaluate")
    assert isinstance(r.exception, ShopscopeError) and "exactly one of" in str(r.exception)


def test_malformed_knowledge_base_exits_1_with_the_reason(tmp_path):
    """Through the real entry point: the message and the exit code; stderr has nothing else."""
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    connect(url).close()
    bad = tmp_path / "bad.csv"
    bad.write_text("foo,bar\n1,2\n", encoding="utf-8")
    r = _cli("-w", url, "assist", "kb", "load", str(bad), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.startswith("Error: Knowledge-base CSV") and "question, answer" in r.stderr
