"""Conversion pages through the real app: English and Chinese, permissions, URL filters, CSV."""

from __future__ import annotations

import json
import re

import pytest
from server_helpers import get_in_language

from shopscope.server.i18n import catalog

EXPERIMENT = "checkout_button_2026"
PAGES = {
    "activity_ops": [
        "/tactical/conversion",
        f"/tactical/experiments/{EXPERIMENT}",
        "/execution/carts",
    ],
    "cs_agent": ["/execution/carts"],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("role", sorted(PAGES))
def test_pages_render_in_each_language(client_for, role, lang):
    c = client_for(role)
    t = catalog(lang)
    pages = {url: get_in_language(c, url, lang) for url in PAGES[role]}
    if role == "activity_ops":
        page = pages["/tactical/conversion"]
        assert t("conversion.event.add_to_cart") in page
        assert "percent initial" not in page  # bar labels are localised, not Plotly's
        assert any(
            t(f"conversion.verdict.{v}") in page
            for v in ("ship", "do_not_ship", "inconclusive", "untrustworthy", "harmful")
        )


def test_lower_tier_and_other_dimension_get_403(client_for):
    for role, url in (
        ("cs_agent", "/tactical/conversion"),
        ("traffic_ops", "/tactical/conversion"),
        ("cs_agent", f"/tactical/experiments/{EXPERIMENT}"),
    ):
        assert client_for(role).get(url).status_code == 403, (role, url)


def test_funnel_filters_live_in_the_url_and_charts_are_embedded(client_for):
    c = client_for("activity_ops")
    r = c.get("/tactical/conversion?steps=product_view,purchase&window=2h&mode=strict&unit=session")
    assert r.status_code == 200
    assert 'value="product_view,purchase"' in r.text and 'value="2h"' in r.text
    assert '<option value="strict" selected>' in r.text
    assert '<option value="session" selected>' in r.text
    fig = json.loads(re.search(r'data-chart="chart-funnel">(.*?)</script>', r.text, re.S)[1])
    assert fig["data"][0]["type"] == "funnel" and len(fig["data"][0]["x"]) == 2
    assert c.get("/tactical/conversion?window=forever").status_code == 400
    assert c.get("/tactical/conversion?mode=sideways").status_code == 422
    csv = c.get("/tactical/conversion?steps=product_view,purchase&export=funnel")
    assert csv.status_code == 200 and csv.text.splitlines()[0].startswith("step,")
    assert len(csv.text.splitlines()) == 3


def test_experiment_page_has_lift_chart_and_links(client_for):
    c = client_for("activity_ops")
    listing = c.get("/tactical/conversion").text
    assert f'href="/tactical/experiments/{EXPERIMENT}"' in listing
    page = c.get(f"/tactical/experiments/{EXPERIMENT}").text
    fig = json.loads(re.search(r'data-chart="chart-lift">(.*?)</script>', page, re.S)[1])
    trace = fig["data"][0]
    assert trace["error_x"]["array"] and len(trace["x"]) == len(trace["y"]) >= 1
    api = c.get(f"/api/v1/experiments/{EXPERIMENT}").json()
    lifts = [
        r["reported"]["lift"] * 100 for r in api["results"] if r["reported"]["lift"] is not None
    ]
    assert trace["x"] == pytest.approx(lifts)
    assert c.get("/tactical/experiments/nope").status_code == 404


def test_carts_page_lists_and_exports(client_for):
    agent = client_for("cs_agent")
    page = agent.get("/execution/carts")
    first = agent.get("/api/v1/abandoned-carts?limit=1").json()["items"][0]
    assert first["session_id"] in page.text
    assert "export=carts" not in page.text  # execution roles cannot export CSV
    assert agent.get("/execution/carts?export=carts").status_code == 403
    lead = client_for("operations_director")
    assert "export=carts" in lead.get("/execution/carts").text
    csv = lead.get("/execution/carts?idle_hours=2&export=carts")
    assert csv.status_code == 200 and csv.text.startswith("session_id,")
    assert lead.get("/execution/carts?idle_hours=-3").status_code == 422
    known = lead.get("/execution/carts?known=true")
    assert known.status_code == 200 and 'name="known" value="true" checked' in known.text
