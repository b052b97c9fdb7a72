"""``shopscope rfm`` and ``shopscope clv fit`` on the demo store, through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

from shopscope.warehouse.connection import connect
from shopscope.warehouse.demo import generate_demo


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopscope", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_rfm_and_clv_commands(tmp_path):
    db = tmp_path / "w.duckdb"
    wh = connect(f"duckdb:///{db}")
    generate_demo(wh, size="small", seed=2, end_date=date(2026, 6, 30))
    wh.close()
    url = f"duckdb:///{db}"
    r = _cli("-w", url, "rfm", "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    segments = json.loads(r.stdout)
    assert {s["segment"] for s in segments} >= {"Champions", "Lost"}
    assert abs(sum(s["share"] for s in segments) - 1) < 1e-9
    r = _cli(
        "-w",
        url,
        "rfm",
        "--migration-from",
        "2026-03-31",
        "--as-of",
        "2026-06-30",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert r.returncode == 0 and any(m["from_segment"] == "(new)" for m in json.loads(r.stdout))
    r = _cli("-w", url, "rfm", "--bins", "4", cwd=tmp_path)
    assert r.returncode == 1 and "use 5 or 3" in r.stderr
    r = _cli("-w", url, "clv", "fit", "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    params = {(p["model"], p["param"]): p["estimate"] for p in json.loads(r.stdout)}
    assert set(params) >= {("BG/NBD", "r"), ("BG/NBD", "alpha"), ("Gamma-Gamma", "p")}
    assert all(v > 0 for v in params.values())
