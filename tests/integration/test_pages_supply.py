"""Supply pages through the real app: both languages, permissions, filters in the URL, CSV."""

from __future__ import annotations

from html import escape

import pytest
from server_helpers import charts_of, csv_rows, get_in_language

PAGES = {
    "category_ops": ["/tactical/supply", "/execution/restock", "/execution/routes"],
    "cs_agent": ["/execution/restock", "/execution/routes"],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("role", sorted(PAGES))
def test_supply_pages_render_in_each_language(client_for, role, lang):
    c = client_for(role)
    for url in PAGES[role]:
        get_in_language(c, url, lang)


def test_tactical_supply_page_is_refused_to_other_dimensions_and_tiers(client_for):
    for role in ("user_ops", "cs_agent"):
        r = client_for(role).get("/tactical/supply")
        assert r.status_code == 403 and 'data-code="forbidden"' in r.text


def test_supply_nav_follows_permissions(client_for):
    tactical = client_for("category_ops").get("/tactical").text
    assert 'href="/tactical/supply"' in tactical
    execution = client_for("cs_agent").get("/execution").text
    assert 'href="/execution/restock"' in execution and 'href="/tactical/supply"' not in execution


def test_supply_page_charts_and_filters(client_for, demo_wh):
    from shopscope.supply.forecast import demand_panel

    c = client_for("category_ops")
    category = demand_panel(demo_wh, level="category").ids[1]
    r = c.get("/tactical/supply", params={"level": "category", "key": category})
    assert r.status_code == 200
    matrix, forecast = list(charts_of(r.text).values())
    assert matrix["data"][0]["type"] == "heatmap"
    skus = sum(sum(row) for row in matrix["data"][0]["z"])
    assert skus == len({row["sku"] for row in csv_rows(c, "/tactical/supply?export=abc_items")})
    assert len(forecast["data"]) == 4 and f'value="{escape(category)}"' in r.text
    assert '<option value="category" selected>' in r.text
    missing = c.get("/tactical/supply?level=sku&key=NO-SUCH-SKU")
    assert missing.status_code == 200 and "NO-SUCH-SKU" in missing.text
    assert c.get("/tactical/supply?level=region").status_code == 422
    assert c.get("/tactical/supply?from=2030-01-01&to=2030-02-01").status_code == 400


def test_restock_list_is_the_plans_orders(client_for):
    c = client_for("category_ops")
    # the API's plan is checked against the library in test_api_supply.py
    want = c.get("/api/v1/replenishment?only_orders=true&limit=1000").json()["items"]
    rows = csv_rows(c, "/execution/restock?export=restock")
    assert [(r["sku"], r["location"]) for r in rows] == [(w["sku"], w["location"]) for w in want]
    assert [float(r["order_qty"]) for r in rows] == [w["order_qty"] for w in want]
    # an order is suggested only at or below the reorder point, and it restores the position
    for r in rows:
        position, qty = float(r["position"]), float(r["order_qty"])
        assert position <= float(r["reorder_point"]) and qty > 0
        assert position + qty >= float(r["order_up_to"]) - 1e-9
    page = c.get("/execution/restock").text
    assert all(f">{w['sku']}<" in page for w in want)
    location = want[0]["location"]
    only = csv_rows(c, f"/execution/restock?location={location}&export=restock")
    assert {r["location"] for r in only} == {location}
    assert len(only) == sum(w["location"] == location for w in want)
    assert c.get("/execution/restock?location=mars").status_code == 404
    # the execution tier sees the list but cannot export it (export.csv is tactical)
    agent = client_for("cs_agent")
    assert "export=restock" not in agent.get("/execution/restock").text
    assert agent.get("/execution/restock?export=restock").status_code == 403


def test_routes_page_shows_every_vehicle_and_the_chart(client_for):
    c = client_for("cs_agent")
    summary = c.get("/api/v1/routes?day=2026-06-30").json()
    r = c.get("/execution/routes?day=2026-06-30")
    assert r.status_code == 200 and 'value="2026-06-30"' in r.text
    for v in summary["vehicles"]:
        assert v["vehicle"] in r.text
    assert all(f">{row['stop_id']}<" in r.text for row in summary["manifest"])
    (chart,) = list(charts_of(r.text).values())
    traced = {d["name"] for d in chart["data"]}
    assert {v["vehicle"] for v in summary["vehicles"]} <= traced
    assert c.get("/execution/routes?day=2030-01-01").status_code == 400
    assert c.get("/execution/routes?day=tomorrow").status_code == 422
