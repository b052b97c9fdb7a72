"""The demo store's planted situations are where demo_truth says, and the controls are not."""

from __future__ import annotations

from shopscope.warehouse.connection import Warehouse


def _truth(wh: Warehouse, name: str) -> list[str]:
    rows = wh.duckdb.execute(
        "SELECT key FROM demo_truth WHERE domain = 'planted' AND name = ? ORDER BY key", [name]
    ).fetchall()
    return [r[0] for r in rows]


def _one(wh: Warehouse, sql: str, args: list[object]) -> tuple[object, ...]:
    row = wh.duckdb.execute(sql, args).fetchone()
    assert row is not None
    return tuple(row)


def test_falling_roas_channel_spends_more_for_the_same_customers(demo_wh: Warehouse) -> None:
    (channel,) = _truth(demo_wh, "roas_drop")
    controls = _truth(demo_wh, "roas_control")
    assert controls and channel not in controls
    ratio_sql = (
        "SELECT sum(spend) FILTER (WHERE date > DATE '2026-06-02') / "
        "sum(spend) FILTER (WHERE date > DATE '2026-05-05' AND date <= DATE '2026-06-02') "
        "FROM ad_spend WHERE channel = ?"
    )
    planted = float(_one(demo_wh, ratio_sql, [channel])[0])
    for c in controls:
        assert planted > 1.4 * float(_one(demo_wh, ratio_sql, [c])[0])


def test_stockout_risk_sku_ends_short_and_the_control_does_not(demo_wh: Warehouse) -> None:
    (risk,) = _truth(demo_wh, "stockout_risk")
    (control,) = _truth(demo_wh, "stock_control")
    sql = (
        "SELECT on_hand, on_order, lead_time_days FROM inventory "
        "WHERE sku = ? AND location = 'uk_warehouse' AND date = DATE '2026-06-30'"
    )
    demand_sql = (
        "SELECT sum(i.quantity) / 28.0 FROM order_items i JOIN orders o USING (order_id) "
        "WHERE i.sku = ? AND o.ordered_at >= TIMESTAMP '2026-06-03' AND o.status <> 'cancelled'"
    )
    on_hand, on_order, lead = _one(demo_wh, sql, [risk])
    daily = float(_one(demo_wh, demand_sql, [risk])[0])
    assert on_order == 0 and daily > 0
    assert float(on_hand) / daily < float(lead)
    c_hand, _c_order, c_lead = _one(demo_wh, sql, [control])
    c_daily = float(_one(demo_wh, demand_sql, [control])[0] or 0.0)
    assert float(c_hand) > float(c_lead) * c_daily


def test_vip_falls_silent_and_the_control_stays_active(demo_wh: Warehouse) -> None:
    (vip,) = _truth(demo_wh, "vip_at_risk")
    (control,) = _truth(demo_wh, "vip_control")
    sql = "SELECT count(*), max(ordered_at) FROM orders WHERE customer_id = ?"
    n, last = _one(demo_wh, sql, [vip])
    assert int(n) >= 4 and str(last) < "2026-03-02"
    c_n, c_last = _one(demo_wh, sql, [control])
    assert int(c_n) >= 6 and str(c_last) >= "2026-05-31"
