"""The daily brief engine: rules, items with filled templates, skipped rules with reasons."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from shopscope.errors import ConfigurationError, NotFoundError
from shopscope.team.brief import Brief, Finding, build_brief, default_rules, parse_rules
from shopscope.warehouse.connection import Warehouse


@pytest.fixture(scope="module")
def demo_brief(demo_wh: Warehouse) -> Brief:
    """The demo store's brief, built once for the tests that read it."""
    return build_brief(demo_wh)


def _rule(**over: Any) -> dict[str, Any]:
    base = {
        "id": "r", "provider": "open_tickets", "role": "cs_agent", "priority": "high",
        "due_days": 0, "title_en": "Ticket {ticket_id}", "title_zh": "工单 {ticket_id}",
    }  # fmt: skip
    return {**base, **over}


def test_default_rules_cover_every_tier_they_claim() -> None:
    rules = default_rules()
    assert {"strategic", "execution"} <= {r.tier for r in rules}
    assert all(r.title_en and r.title_zh for r in rules)


@pytest.mark.parametrize(
    ("over", "exc", "match"),
    [
        ({"provider": "astrology"}, ConfigurationError, "known: "),
        ({"role": "wizard"}, NotFoundError, "Unknown role 'wizard'"),
        ({"priority": "urgent"}, ConfigurationError, "priority must be one of"),
        ({"due_days": -1}, ConfigurationError, "due_days"),
    ],
)
def test_bad_rules_are_explained(over: dict[str, Any], exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        parse_rules({"rules": [_rule(**over)]})
    with pytest.raises(ConfigurationError, match="defined twice"):
        parse_rules({"rules": [_rule(), _rule()]})
    with pytest.raises(ConfigurationError, match="lacks title_zh"):
        parse_rules({"rules": [{k: v for k, v in _rule().items() if k != "title_zh"}]})


def test_demo_brief_items_have_owner_evidence_and_due_date(
    demo_wh: Warehouse, demo_brief: Brief
) -> None:
    brief = demo_brief
    assert brief.as_of == date(2026, 6, 30)
    assert brief.skipped == ()
    listing = [i for i in brief.items if i.rule == "fix_listing"]
    assert listing and all(i.role == "content_editor" and i.tier == "execution" for i in listing)
    assert all(i.due == date(2026, 7, 3) for i in listing)
    problems = [i.evidence["problems"] for i in listing]
    assert problems == sorted(problems, reverse=True)  # most problems first
    tickets = [i for i in brief.items if i.rule == "answer_ticket"]
    pending = demo_wh.duckdb.execute(
        "SELECT count(*) FROM tickets WHERE status IN ('open', 'pending') "
        "AND created_at <= TIMESTAMP '2026-06-30 00:00:00'"
    ).fetchone()
    assert pending is not None and len(tickets) == pending[0]
    for item in brief.items:
        assert "{" not in item.title_en + item.title_zh and item.link.startswith("/")


def test_brief_on_an_empty_warehouse_says_why_each_rule_is_skipped(wh: Warehouse) -> None:
    brief = build_brief(wh, as_of=date(2026, 6, 30))
    reasons = {s.rule: s.reason for s in brief.skipped}
    assert {"revenue_movement", "kpi_anomaly"} <= set(reasons)
    assert all(reasons.values())
    assert brief.items == ()


def test_template_fields_the_provider_lacks_are_reported(demo_wh: Warehouse) -> None:
    rules = parse_rules({"rules": [_rule(title_en="Ticket {colour}")]})
    brief = build_brief(demo_wh, rules=rules)
    assert brief.items == () and "{colour}" in brief.skipped[0].reason


def test_fingerprint_changes_only_when_evidence_changes_materially() -> None:
    a = Finding("k", {}, {"value": 100.0, "n": 3})
    assert a.fingerprint() == Finding("k", {}, {"value": 100.4, "n": 3}).fingerprint()
    assert a.fingerprint() != Finding("k", {}, {"value": 130.0, "n": 3}).fingerprint()
    assert a.fingerprint() != Finding("k", {}, {"value": 100.0, "n": 4}).fingerprint()


def test_brief_finds_the_planted_situations_and_spares_the_controls(
    demo_wh: Warehouse, demo_brief: Brief
) -> None:
    """Precision and recall of the brief on the demo store's planted situations.

    Planted (demo_truth domain 'planted' and 'experiment'): a paid channel whose ROAS falls, a
    VIP falling silent (at risk for user ops, to contact for CS), a SKU about to stock out, the
    running A/B test, a popular SKU whose demand falls (trending down, below its forecast), the
    ROAS channel's spend running over its monthly budget. Controls: the other paid channels
    (ROAS and budget pacing), an active VIP, a well-stocked popular SKU and the next most popular
    SKU.
    """
    truth = dict(
        ((r[0], r[1]), r[2])
        for r in demo_wh.duckdb.execute(
            "SELECT name, key, coalesce(text, '') FROM demo_truth "
            "WHERE domain = 'planted' OR (domain = 'experiment' AND name = 'experiment_id')"
        ).fetchall()
    )
    keys = {name: key or text for (name, key), text in truth.items()}
    planted = {
        f"roas:{keys['roas_drop']}",
        f"vip:{keys['vip_at_risk']}",
        f"restock:{keys['stockout_risk']}:uk_warehouse",
        f"experiment:{keys['experiment_id']}",
        f"contact:{keys['vip_at_risk']}",
        f"trend:{keys['demand_drop']}",
        f"forecast:{keys['demand_drop']}",
        f"budget:{keys['budget_overspend']}:{demo_brief.as_of:%Y-%m}",
    }
    controls = {f"vip:{keys['vip_control']}", f"restock:{keys['stock_control']}:uk_warehouse"}
    controls |= {f"contact:{keys['vip_control']}", f"trend:{keys['demand_control']}"}
    controls |= {f"forecast:{keys['demand_control']}"}
    controls |= {
        f"roas:{r[0]}"
        for r in demo_wh.duckdb.execute(
            "SELECT key FROM demo_truth WHERE domain = 'planted' AND name = 'roas_control'"
        ).fetchall()
    }
    controls |= {
        f"budget:{r[0]}:{demo_brief.as_of:%Y-%m}"
        for r in demo_wh.duckdb.execute(
            "SELECT key FROM demo_truth WHERE domain = 'planted' AND name = 'budget_control'"
        ).fetchall()
    }
    raised = {i.key for i in demo_brief.items}
    hits, false_alarms = planted & raised, controls & raised
    recall = len(hits) / len(planted)
    precision = len(hits) / max(len(hits) + len(false_alarms), 1)
    print(f"brief on the demo store: recall {recall:.2f}, precision {precision:.2f}")
    assert recall == 1.0, planted - raised
    assert precision == 1.0, false_alarms


# -- CLI ------------------------------------------------------------------------------------


@pytest.fixture
def brief_cli(demo_url: str, demo_brief: Brief, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`shopscope brief` on the demo store (its brief built once), on an 80-column terminal."""
    import typer
    from typer.testing import CliRunner

    import shopscope.team.brief as brief_package
    from shopscope.cli.brief import register
    from shopscope.cli.main import state

    monkeypatch.setattr(brief_package, "build_brief", lambda wh, day, rules: demo_brief)
    monkeypatch.setattr(state, "warehouse", demo_url)
    monkeypatch.setenv("COLUMNS", "80")
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command keeps `brief` a sub-command
    runner = CliRunner()
    return lambda *args: runner.invoke(app, ["brief", *args])


def test_cli_brief_groups_items_by_tier_and_role_with_whole_links(
    brief_cli: Any, demo_brief: Brief
) -> None:
    from shopscope.team.roles import role_model

    model = role_model()
    r = brief_cli()
    assert r.exit_code == 0, r.output
    lines = [line.rstrip() for line in r.stdout.splitlines()]
    assert max(len(line) for line in lines) <= 80
    tiers = [t for t in ("strategic", "tactical", "execution") if demo_brief.for_tier(t)]
    counts = " · ".join(f"{model.tiers[t].name_en} {len(demo_brief.for_tier(t))}" for t in tiers)
    assert lines[0] == f"Brief for {demo_brief.as_of}: {len(demo_brief.items)} items ({counts})"
    for i in demo_brief.items:
        assert f"{model.tiers[i.tier].name_en} · {model.roles[i.role].name_en} ({i.role})" in lines
        if len(i.link) <= 60:
            assert any(line.strip() == i.link for line in lines), i.link
    due = [line for line in lines if re.match(r"^(high|medium|low) +\d{4}-\d\d-\d\d ", line)]
    assert len(due) == len(demo_brief.items)
    zh = brief_cli("--lang", "zh", "--tier", "execution")
    assert zh.exit_code == 0, zh.output
    assert zh.stdout.startswith(
        f"{demo_brief.as_of} 简报：{len(demo_brief.for_tier('execution'))} 项"
    )
    assert all(
        i.title_zh.split("，")[0][:10] in zh.stdout for i in demo_brief.for_tier("execution")
    )


def test_cli_brief_filters_every_format_and_rejects_unknown_tiers_and_roles(
    brief_cli: Any, demo_brief: Brief
) -> None:
    import json

    r = brief_cli("--tier", "execution", "-f", "json")
    assert r.exit_code == 0, r.output
    items = json.loads(r.stdout)["items"]
    assert len(items) == len(demo_brief.for_tier("execution")) > 0
    assert {i["tier"] for i in items} == {"execution"}
    r = brief_cli("--role", "user_ops", "-f", "csv")
    rows = r.stdout.splitlines()[1:]
    assert len(rows) == sum(i.role == "user_ops" for i in demo_brief.items) > 0
    assert all(row.startswith("tactical,user_ops,") for row in rows)
    bad = brief_cli("--tier", "board")
    assert isinstance(bad.exception, ConfigurationError)
    assert "strategic" in str(bad.exception) and "execution" in str(bad.exception)
    unknown = brief_cli("--role", "ceo")
    assert isinstance(unknown.exception, NotFoundError) and "cs_agent" in str(unknown.exception)
