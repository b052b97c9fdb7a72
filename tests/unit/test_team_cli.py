"""``shopscope team`` through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shopscope.team.positioning import questionnaire


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shopscope", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_assess_map_and_audit(tmp_path: Path, demo_url: str) -> None:
    ids = [q.id for q in questionnaire().questions]
    answers = tmp_path / "me.toml"
    answers.write_text("\n".join(f"{i} = 4" for i in ids), "utf-8")
    r = _cli("team", "assess", "--answers", str(answers), "-f", "json", "--chart",
             str(tmp_path / "radar.html"), cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    position = json.loads(r.stdout)
    assert position["tier"] == "strategic" and position["technology_level"] == "collaborator_driver"
    assert "plotly" in (tmp_path / "radar.html").read_text("utf-8")[:200_000].lower()

    members = tmp_path / "team.toml"
    members.write_text(
        '[[members]]\nname = "Ana"\nrole = "traffic_ops"\n'
        '[[members]]\nname = "Bo"\nrole = "category_ops"\n',
        "utf-8",
    )
    r = _cli("team", "map", "--members", str(members), "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["gaps"] == ["conversion", "retention"]

    r = _cli("-w", demo_url, "team", "audit-catalog", "-f", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    audit = json.loads(r.stdout)
    assert audit["products"] == 200 and audit["issues"]


def test_bad_team_inputs_are_explained(tmp_path: Path) -> None:
    partial = tmp_path / "partial.toml"
    partial.write_text("acq_channels = 2\n", "utf-8")
    r = _cli("team", "assess", "--answers", str(partial), cwd=tmp_path)
    assert r.returncode == 1 and "missing answers for acq_economics" in r.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("[[members]\nname=", "utf-8")
    r = _cli("team", "map", "--members", str(broken), cwd=tmp_path)
    assert r.returncode == 1 and "is not valid toml" in r.stderr
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[[members]]\nname = "X"\nrole = "wizard"\n', "utf-8")
    r = _cli("team", "map", "--members", str(unknown), cwd=tmp_path)
    assert r.returncode == 1 and "Unknown role 'wizard'" in r.stderr
