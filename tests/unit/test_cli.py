"""The CLI through a real subprocess: exit codes, stdout data, stderr messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "shopscope", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> str:
    return f"duckdb:///{tmp_path / 'w.duckdb'}"


def test_ingest_status_quarantine_round_trip(tmp_path, warehouse):
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[tables.orders]\ncolumns = { order_id = "id", ordered_at = "at", status = "st" }\n',
        encoding="utf-8",
    )
    data = tmp_path / "o.csv"
    data.write_text("id,at,st\nA,2024-01-01,paid\nB,not a date,paid\n", encoding="utf-8")
    r = run(
        "-w", warehouse, "ingest", str(data), "--mapping", str(mapping), "-f", "json", cwd=tmp_path
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)[0]
    assert (report["loaded"], report["quarantined"]) == (1, 1)
    r = run("-w", warehouse, "status", "--format", "json", cwd=tmp_path)
    st = json.loads(r.stdout)
    rows = {t["name"]: t["rows"] for t in st["tables"]}
    assert rows["orders"] == 1 and rows["quarantine"] == 1
    assert st["quarantine"] == [["orders", "bad_value", 1]]
    out = tmp_path / "q.csv"
    r = run("-w", warehouse, "quarantine", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0 and "not a date" in out.read_text(encoding="utf-8")
    r = run("-w", warehouse, "quarantine", "--format", "csv", cwd=tmp_path)
    assert r.stdout.splitlines()[0].startswith("batch_id,source,table_name,line")


def test_domain_error_is_one_line_exit_1(tmp_path, warehouse):
    r = run("-w", warehouse, "ingest", str(tmp_path / "missing.csv"), cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.startswith("Error: ") and "no such file" in r.stderr
    assert "Traceback" not in r.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    r = run("-w", warehouse, "ingest", str(empty), "--source", "online-retail", cwd=tmp_path)
    assert r.returncode == 1 and "is empty" in r.stderr


def test_usage_error_exit_2(tmp_path):
    r = run("status", "--bogus", cwd=tmp_path)
    assert r.returncode == 2
    r = run("ingest", str(tmp_path), "--source", "csv", cwd=tmp_path)
    assert r.returncode == 1 and "needs --mapping" in r.stderr


def test_docs_check(tmp_path):
    assert run("docs", "--root", str(tmp_path), cwd=tmp_path).returncode == 0
    assert (tmp_path / "reference" / "cli.md").exists()
    assert run("docs", "--check", "--root", str(tmp_path), cwd=tmp_path).returncode == 0
    (tmp_path / "data-model.md").write_text("stale", encoding="utf-8")
    r = run("docs", "--check", "--root", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 1 and "stale" in r.stderr


def test_checked_in_docs_are_current():
    """docs/data-model.md and docs/reference/cli.md are generated: `shopscope docs`."""
    repo = Path(__file__).resolve().parents[2]
    r = run("docs", "--check", "--root", str(repo / "docs"), cwd=repo)
    assert r.returncode == 0, r.stderr
