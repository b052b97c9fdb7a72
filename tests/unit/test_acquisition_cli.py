"""``shopscope channels``, ``attribution`` and ``budget`` through the real CLI on the demo."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopscope", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.slow  # six CLI processes, each importing the stack (about 30 s on an idle machine)
def test_channels_attribution_and_budget(demo_url: str, tmp_path: Path) -> None:
    w = ("-w", demo_url)
    r = _cli(*w, "channels", "--from", "2026-06-01", "--to", "2026-06-30", "-f", "json",
             cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {row["channel"] for row in doc["rows"]} >= {"paid_search", "direct", "email"}
    assert doc["totals"]["mer"] > 0
    assert "no UTM tags" in r.stderr

    r = _cli(*w, "attribution", "--compare", "-m", "markov", "-m", "shapley", "-m",
             "time_decay", "-f", "csv", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    header = r.stdout.splitlines()[0].split(",")
    assert header == ["channel", "markov", "shapley", "time_decay"]

    r = _cli(*w, "budget", "fit", "--outcome", "new_customers", "--boot", "5", "-f", "json",
             cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    curves = json.loads(r.stdout)
    assert {c["channel"] for c in curves} == {"paid_search", "paid_social", "affiliate"}
    assert "not from an experiment" in r.stderr

    r = _cli(*w, "budget", "plan", "--total", "40", "--max", "affiliate=5",
             "--calibrate", "paid_search=15:1.2", "-f", "json", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    plan = json.loads(r.stdout)
    assert abs(sum(row["spend"] for row in plan["rows"]) - 40) < 1e-6
    assert "not from an experiment" in plan["note"]

    r = _cli(*w, "attribution", "-m", "u_shaped", cwd=tmp_path)
    assert r.returncode == 1 and "Unknown attribution model" in r.stderr
    r = _cli(*w, "budget", "plan", "--total", "40", "--min", "paid_search", cwd=tmp_path)
    assert r.returncode == 1 and "CHANNEL=NUMBER" in r.stderr
