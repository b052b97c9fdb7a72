"""Targets on the demo store: the planted overspend is flagged, the controls are not; the brief
providers and the CLI."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from shopscope.team.brief.providers import PROVIDERS, BriefContext
from shopscope.team.targets import list_targets, target_progress
from shopscope.warehouse.connection import connect

END = date(2026, 6, 30)


def _truth(wh, name: str) -> list[str]:
    rows = wh.duckdb.execute(
        "SELECT key FROM demo_truth WHERE domain = 'planted' AND name = ? ORDER BY key", [name]
    ).fetchall()
    return [r[0] for r in rows]


def test_demo_writes_targets_for_every_month(demo_wh):
    months = {t.month for t in list_targets(demo_wh)}
    assert min(months) == date(2024, 7, 1) and max(months) == date(2026, 6, 1)
    assert len(months) == 24
    june = list_targets(demo_wh, "2026-06")
    channels = sorted(t.channel for t in june if t.metric == "ad_spend")
    assert channels == sorted(
        _truth(demo_wh, "budget_control") + _truth(demo_wh, "budget_overspend")
    )
    assert {t.metric for t in june} == {"net_revenue", "orders", "ad_spend"}


def test_planted_overspend_is_over_budget_and_controls_on_track(demo_wh):
    (planted,) = _truth(demo_wh, "budget_overspend")
    controls = _truth(demo_wh, "budget_control")
    assert planted and len(controls) >= 2
    rows = {r.channel: r for r in target_progress(demo_wh, as_of=END) if r.metric == "ad_spend"}
    # Independent: June's spend per channel straight from ad_spend, against the budgets.
    spend = dict(
        demo_wh.duckdb.execute(
            "SELECT channel, sum(spend) FROM ad_spend WHERE date >= DATE '2026-06-01' "
            "GROUP BY channel"
        ).fetchall()
    )
    budget = {t.channel: t.value for t in list_targets(demo_wh, "2026-06", metric="ad_spend")}
    for channel, row in rows.items():
        assert row.actual == pytest.approx(spend[channel])
        assert row.gap_rel == pytest.approx(spend[channel] / budget[channel] - 1)
    assert rows[planted].status == "over_budget" and rows[planted].gap_rel > 0.5
    assert all(rows[c].status == "on_track" for c in controls)
    kpis = [r for r in target_progress(demo_wh, as_of=END) if r.metric != "ad_spend"]
    # The demo plans 5% above its level: about 5% behind, within the tolerance.
    assert all(r.status == "on_track" and -0.1 < r.gap_rel < 0 for r in kpis)


def test_budget_pacing_finds_the_planted_channel_only(demo_wh):
    (planted,) = _truth(demo_wh, "budget_overspend")
    found = PROVIDERS["budget_pacing"](BriefContext(demo_wh, END), {})
    assert [f.values["channel"] for f in found] == [planted]
    assert found[0].values["direction"] == "over" and found[0].evidence["pace_rel"] > 0.5
    assert PROVIDERS["kpi_vs_target"](BriefContext(demo_wh, END), {}) == []


def test_kpi_vs_target_raises_an_item_when_behind(demo_wh):
    # Mid-March 2026 the demo runs about 18% behind its revenue target (a slow start).
    ctx = BriefContext(demo_wh, date(2026, 3, 22))
    found = PROVIDERS["kpi_vs_target"](ctx, {"tolerance": 0.10})
    rows = {r.metric: r for r in target_progress(demo_wh, "2026-03", date(2026, 3, 22))}
    expected = sorted(m for m in ("net_revenue", "orders") if rows[m].gap_rel < -0.10)
    assert sorted(f.values["metric"] for f in found) == expected and expected
    assert all(f.values["headline"] and f.values["headline_zh"] for f in found)
    assert PROVIDERS["kpi_vs_target"](ctx, {"tolerance": 0.5}) == []
    early = BriefContext(demo_wh, date(2026, 3, 3))
    assert PROVIDERS["kpi_vs_target"](early, {"min_days": 7}) == []


def test_providers_skip_with_a_reason_without_targets(demo_wh):
    from shopscope.errors import NotFoundError

    ctx = BriefContext(demo_wh, date(2027, 1, 15))
    for name in ("kpi_vs_target", "budget_pacing"):
        with pytest.raises(NotFoundError, match=r"No .* for 2027-01: set them"):
            PROVIDERS[name](ctx, {})


def _cli():
    import typer
    from typer.testing import CliRunner

    from shopscope.cli.targets import register

    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps `targets` a sub-command
        """Nothing."""

    return app, CliRunner()


def test_cli_set_list_import_progress(tmp_path, demo_url):
    from shopscope.cli.main import state

    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_url.removeprefix("duckdb:///"), copy)
    app, runner = _cli()
    before = state.warehouse
    state.warehouse = f"duckdb:///{copy}"
    try:
        ok = runner.invoke(app, ["targets", "set", "orders", "2026-07", "900", "-f", "json"])
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.output)[0]["value"] == 900.0
        bad = runner.invoke(app, ["targets", "set", "ad_spend", "2026-07", "5", "-c", "tv"])
        assert bad.exit_code != 0 and "Unknown channel 'tv'" in str(bad.exception or bad.output)
        csv = tmp_path / "t.csv"
        csv.write_text("metric,channel,month,value\nnet_revenue,,2026-07,12345\n")
        imported = runner.invoke(app, ["targets", "import", str(csv), "-f", "json"])
        assert imported.exit_code == 0, imported.output
        listed = runner.invoke(app, ["targets", "list", "--month", "2026-07", "-f", "json"])
        assert {r["metric"] for r in json.loads(listed.output)} == {"orders", "net_revenue"}
        prog = runner.invoke(app, ["targets", "progress", "--as-of", "2026-06-30", "-f", "json"])
        assert prog.exit_code == 0, prog.output
        statuses = {(r["metric"], r["channel"]): r["status"] for r in json.loads(prog.output)}
        with connect(f"duckdb:///{copy}", read_only=True) as wh:
            (planted,) = _truth(wh, "budget_overspend")
        assert statuses[("ad_spend", planted)] == "over_budget"
        table = runner.invoke(app, ["targets", "progress", "-m", "2026-06", "-f", "csv"])
        assert table.exit_code == 0 and f"ad_spend,{planted},2026-06" in table.output
    finally:
        state.warehouse = before


def test_packaged_rules_raise_the_overspend_item_in_both_languages(demo_wh):
    from shopscope.team.brief.engine import build_brief
    from shopscope.team.brief.rules import default_rules

    rules = [r for r in default_rules() if r.provider in ("kpi_vs_target", "budget_pacing")]
    assert {r.id for r in rules} == {"kpi_vs_target", "budget_pacing"}
    assert all(r.tier == "strategic" for r in rules)
    (planted,) = _truth(demo_wh, "budget_overspend")
    brief = build_brief(demo_wh, END, rules)
    assert brief.skipped == ()
    (item,) = brief.items
    assert item.key == f"budget:{planted}:2026-06" and item.rule == "budget_pacing"
    assert planted in item.title_en and "over pace" in item.title_en
    assert planted in item.title_zh and "超支" in item.title_zh
    assert item.link == "/strategic/targets?month=2026-06"
    behind = build_brief(demo_wh, date(2026, 3, 22), rules)
    titles = [i.title_en for i in behind.items if i.rule == "kpi_vs_target"]
    assert titles and all("behind its 2026-03 target" in t for t in titles)
    later = build_brief(demo_wh, date(2027, 1, 5), rules)
    assert {s.rule for s in later.skipped} == {"kpi_vs_target", "budget_pacing"}
