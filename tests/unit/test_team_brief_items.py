"""The brief's cohort-payback, trend, forecast-break, VIP-contact and route items, each checked
against an independent computation on the demo store, and skipped with a reason when their
data is missing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shopscope.team.brief import build_brief, default_rules
from shopscope.team.brief.providers import PROVIDERS, BriefContext
from shopscope.warehouse.connection import Warehouse, connect

AS_OF = date(2026, 6, 30)
NEW_RULES = ("cohort_payback", "sku_trend", "forecast_break", "contact_vip", "dispatch_routes")


def _run(wh: Warehouse, name: str, params: dict[str, Any] | None = None) -> list[Any]:
    return PROVIDERS[name](BriefContext(wh, AS_OF), params or {})


def _one(wh: Warehouse, sql: str, args: dict[str, Any] | None = None) -> Any:
    row = wh.duckdb.execute(sql, args or {}).fetchone()
    assert row is not None
    return row[0]


def test_cohort_payback_matches_an_independent_computation(demo_wh: Warehouse) -> None:
    """Recovery of CAC after 3 months per channel, recomputed in SQL from orders and spend."""
    months, margin = 3, 0.5
    rows = demo_wh.duckdb.execute(
        """
        WITH goods AS (
            SELECT o.order_id, o.customer_id, o.ordered_at,
                   sum(CASE WHEN coalesce(p.item_kind, 'product') IN ('product', 'gift_card')
                            AND i.quantity > 0 THEN i.quantity * i.unit_price ELSE 0 END) AS rev
            FROM orders o JOIN order_items i USING (order_id) LEFT JOIN products p USING (sku)
            WHERE o.status NOT IN ('cancelled', 'returned', 'refunded')
              AND o.gross_amount > 0 AND o.customer_id IS NOT NULL
            GROUP BY ALL
        ),
        firsts AS (SELECT customer_id, date_trunc('month', min(ordered_at)) AS cohort
                   FROM goods GROUP BY 1),
        coh AS (SELECT f.customer_id, f.cohort, coalesce(c.acquisition_channel, 'unknown') AS ch
                FROM firsts f LEFT JOIN customers c USING (customer_id)),
        early AS (
            SELECT coh.ch, coh.cohort, sum(g.rev) AS rev, count(DISTINCT coh.customer_id) AS n
            FROM coh JOIN goods g USING (customer_id)
            WHERE date_diff('month', coh.cohort, date_trunc('month', g.ordered_at)) < $m
            GROUP BY ALL
        ),
        spend AS (SELECT channel AS ch, date_trunc('month', date) AS cohort, sum(spend) AS s
                  FROM ad_spend GROUP BY ALL)
        SELECT s.ch, s.cohort, s.s, e.rev, e.n
        FROM spend s JOIN early e USING (ch, cohort)
        WHERE s.s > 0 AND s.cohort <= date_trunc('month', DATE '2026-06-30') - to_months($m)
        ORDER BY s.ch, s.cohort
        """,
        {"m": months},
    ).fetchall()
    by_channel: dict[str, list[tuple[float, float, int]]] = {}
    for ch, _cohort, spend, rev, n in rows:
        by_channel.setdefault(ch, []).append((float(spend), float(rev), int(n)))
    expected: dict[str, float] = {}
    for ch, cohorts in by_channel.items():
        now, before = cohorts[-3:], cohorts[-9:-3]
        r_now = margin * sum(c[1] for c in now) / sum(c[0] for c in now)
        r_before = margin * sum(c[1] for c in before) / sum(c[0] for c in before)
        if sum(c[2] for c in now) < 30:  # too few customers to judge
            continue
        if r_now < 1.0 or r_now < 0.75 * r_before:
            expected[ch] = r_now
    found = {f.values["channel"]: f for f in _run(demo_wh, "cohort_payback")}
    assert set(found) == set(expected)
    for ch, r_now in expected.items():
        assert found[ch].evidence["recovery"] == pytest.approx(r_now, rel=1e-6)
    print(f"cohort payback findings on the demo: {sorted(found)}")


def test_sku_trends_counts_agree_with_the_order_lines(demo_wh: Warehouse) -> None:
    drop = _one(
        demo_wh, "SELECT key FROM demo_truth WHERE domain = 'planted' AND name = 'demand_drop'"
    )
    found = {f.values["sku"]: f for f in _run(demo_wh, "sku_trends")}
    assert found[drop].values["direction"] == "down"
    units = demo_wh.duckdb.execute(
        """
        SELECT sum(i.quantity) FILTER (WHERE o.ordered_at >= TIMESTAMP '2026-06-03'),
               sum(i.quantity) FILTER (WHERE o.ordered_at < TIMESTAMP '2026-06-03')
        FROM order_items i JOIN orders o USING (order_id)
        WHERE i.sku = $sku AND i.quantity > 0 AND o.ordered_at >= TIMESTAMP '2026-05-06'
          AND o.status NOT IN ('cancelled', 'returned', 'refunded')
        """,
        {"sku": drop},
    ).fetchone()
    assert units is not None
    assert (found[drop].values["units"], found[drop].values["units_before"]) == units
    # Every finding is significant after the Bonferroni correction and moved >= 30% vs the shop.
    assert all(f.evidence["p_value_adjusted"] < 0.01 for f in found.values())


def test_forecast_break_names_the_side_and_the_bound(demo_wh: Warehouse) -> None:
    drop = _one(
        demo_wh, "SELECT key FROM demo_truth WHERE domain = 'planted' AND name = 'demand_drop'"
    )
    found = {f.values["series"]: f for f in _run(demo_wh, "forecast_breaks")}
    item = found[drop]
    assert item.values["side"] == "below" and item.values["made"] == "2026-06-02"
    assert item.evidence["actual"] < item.evidence["lower"] <= item.evidence["forecast"]
    for f in found.values():  # outside the interval, on the side it names
        e = f.evidence
        assert (e["actual"] > e["upper"]) == (f.values["side"] == "above")
        assert not e["lower"] <= e["actual"] <= e["upper"]


def test_vip_contacts_reuse_the_churn_fit_and_carry_contact_details(
    demo_wh: Warehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shopscope.retention.churn as churn

    calls: list[int] = []
    real = churn.churn_risk

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(churn, "churn_risk", counted)
    ctx = BriefContext(demo_wh, AS_OF)
    vips = PROVIDERS["vip_at_risk"](ctx, {"days": 90, "max_items": 10})
    contacts = PROVIDERS["vip_contacts"](ctx, {"days": 90, "max_items": 10})
    assert len(calls) == 1
    assert [v.key.split(":")[1] for v in vips] == [c.key.split(":")[1] for c in contacts]
    for c in contacts:
        cid = c.values["customer_id"]
        city, country, opt_in = demo_wh.duckdb.execute(
            "SELECT city, country, email_opt_in FROM customers WHERE customer_id = $c", {"c": cid}
        ).fetchone() or (None, None, None)
        assert c.values["where"] == f"{city}, {country}"
        assert c.evidence["email_opt_in"] == opt_in
        last = _one(
            demo_wh,
            "SELECT order_id FROM orders WHERE customer_id = $c "
            "AND status NOT IN ('cancelled', 'returned', 'refunded') "
            "ORDER BY ordered_at DESC LIMIT 1",
            {"c": cid},
        )
        assert c.values["last_order"] == last
        assert c.values["favourites"] != "-"


def test_dispatch_routes_cover_the_days_orders(demo_wh: Warehouse) -> None:
    found = _run(demo_wh, "delivery_routes", {"time_limit": 0.5})
    depots = {
        r[0]
        for r in demo_wh.duckdb.execute(
            "SELECT DISTINCT key FROM demo_truth WHERE domain = 'geo' AND name = 'depot_lat'"
        ).fetchall()
    }
    assert {f.values["depot"] for f in found} <= depots and found
    orders = _one(
        demo_wh,
        "SELECT count(*) FROM orders WHERE CAST(ordered_at AS DATE) = DATE '2026-06-30' "
        "AND status NOT IN ('cancelled', 'returned', 'refunded') AND ship_lat IS NOT NULL",
    )
    assert sum(f.values["stops"] for f in found) == orders
    for f in found:
        assert f.values["load"] <= f.values["capacity"]
        assert f.link == "/execution/routes?day=2026-06-30" and f.values["dispatch"] == "2026-07-01"


def test_new_rules_skip_with_a_reason_on_a_partial_warehouse() -> None:
    """A small shop without ad spend or depots: those rules say why; the others still run."""
    from shopscope.warehouse.demo import generate_demo

    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=3000, seed=5, end_date=AS_OF, days=400)
    wh.duckdb.execute("DELETE FROM ad_spend")
    wh.duckdb.execute("DELETE FROM demo_truth")
    rules = [r for r in default_rules() if r.id in NEW_RULES]
    brief = build_brief(wh, as_of=AS_OF, rules=rules)
    reasons = {s.rule: s.reason for s in brief.skipped}
    assert "ad_spend" in reasons["cohort_payback"]
    assert "depots" in reasons["dispatch_routes"]
    assert not any(r.startswith("unexpected") for r in reasons.values()), reasons
    assert set(reasons) | {i.rule for i in brief.items} <= set(NEW_RULES)


def test_new_rules_on_an_empty_warehouse_say_why(wh: Warehouse) -> None:
    rules = [r for r in default_rules() if r.id in NEW_RULES]
    brief = build_brief(wh, as_of=AS_OF, rules=rules)
    reasons = {s.rule: s.reason for s in brief.skipped}
    assert set(reasons) == set(NEW_RULES) and brief.items == ()
    assert not any(r.startswith("unexpected") for r in reasons.values()), reasons


def test_plant_keeps_order_amounts_consistent(demo_wh: Warehouse) -> None:
    """The demand plant removes lines from orders: amounts and line numbers still add up."""
    bad = _one(
        demo_wh,
        """
        WITH l AS (
            SELECT order_id, count(*) AS n, max(line_no) AS top,
                   sum(quantity * unit_price) FILTER (WHERE p.item_kind = 'product') AS gross,
                   sum(coalesce(i.discount_amount, 0)) AS disc
            FROM order_items i JOIN products p USING (sku) GROUP BY 1
        )
        SELECT count(*) FROM orders o JOIN l USING (order_id)
        WHERE o.status NOT IN ('cancelled', 'returned', 'refunded')
          AND (abs(o.gross_amount - l.gross) > 0.005 OR abs(o.discount_amount - l.disc) > 0.005
               OR l.n <> l.top)
        """,
    )
    assert bad == 0
    assert _one(demo_wh, "SELECT count(*) FROM orders WHERE order_id NOT IN "
                "(SELECT order_id FROM order_items)") == 0  # fmt: skip


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("forecast_breaks", {"level": "brand"}),
        ("forecast_breaks", {"coverage": 1.5}),
        ("sku_trends", {"days": "two weeks"}),
        ("cohort_payback", {"margin": "half"}),
    ],
)
def test_bad_rule_parameters_are_explained(
    demo_wh: Warehouse, name: str, params: dict[str, Any]
) -> None:
    from shopscope.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="Rule parameter"):
        _run(demo_wh, name, params)
