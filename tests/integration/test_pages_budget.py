"""The budget plan page through the real app: both languages, strategic only, a shareable GET
form, the same plan as the API, CSV export, the audit log."""

from __future__ import annotations

import csv
import io
import re
from html import escape

import pytest
from server_helpers import charts_of, english_only_messages, main_of

from shopscope.server.i18n import catalog

URL = "/strategic/budget"
DIRECTOR = "operations_director"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_budget_page_renders_in_each_language(client_for, lang):
    c = client_for(DIRECTOR)
    c.cookies.set("shopscope_lang", lang)
    try:
        r = c.get(URL)
    finally:
        c.cookies.delete("shopscope_lang")
    assert r.status_code == 200, r.text[:300]
    main = main_of(r.text)
    assert "⟦" not in main, re.findall("⟦[^⟧]*⟧", main)
    t = catalog(lang)
    assert escape(t("acq.budget.title"), quote=False) in main
    assert escape(t("acq.budget.caveat"), quote=False) in main
    assert {"chart-budget-split", "chart-budget-curves"} <= set(charts_of(r.text))
    assert 'href="/strategic/budget"' in r.text  # in the navigation of the strategic tier
    if lang == "zh":
        leaked = sorted(m for m in english_only_messages() if f">{m}<" in main)
        assert leaked == [], leaked


@pytest.mark.parametrize("role", ["traffic_ops", "category_ops", "cs_agent"])
def test_lower_tiers_get_403_with_the_error_shape(client_for, role):
    c = client_for(role)
    r = c.get(URL)
    assert r.status_code == 403
    assert 'data-code="forbidden"' in r.text
    assert 'href="/strategic/budget"' not in c.get("/execution").text
    assert c.get(f"{URL}?export=plan").status_code == 403


def test_default_budget_is_the_current_spend(client_for, demo_wh):
    last = demo_wh.duckdb.sql("select max(date) from ad_spend").fetchone()[0]
    spend = demo_wh.duckdb.sql(
        f"select sum(spend) / 28 from ad_spend where date > date '{last}' - interval 28 day"
    ).fetchone()[0]
    c = client_for(DIRECTOR)
    main = main_of(c.get(URL).text)
    shown = re.search(r'name="total"[^>]*value="([^"]+)"', main).group(1)
    assert float(shown) == pytest.approx(spend, abs=0.006)
    rows = list(csv.DictReader(io.StringIO(c.get(f"{URL}?export=plan").text)))
    assert sum(float(r["recommended_spend"]) for r in rows) == pytest.approx(float(shown))
    assert sum(float(r["current_spend"]) for r in rows) == pytest.approx(float(shown))


def test_form_in_the_url_gives_the_api_plan_and_is_audited(app_env, client_for):
    from shopscope.appdb import open_appdb, records

    c = client_for(DIRECTOR)
    query = "total=250&objective=profit&outcome=revenue&form=hill&margin=0.5&weeks=0"
    r = c.get(f"{URL}?{query}")
    assert r.status_code == 200
    main = main_of(r.text)
    assert 'value="250.0"' in main and 'value="0.5"' in main
    assert '<option value="profit" selected>' in main and '<option value="hill" selected>' in main
    api = c.get(f"/api/v1/budget/plan?{query}").json()
    rows = list(csv.DictReader(io.StringIO(c.get(f"{URL}?{query}&export=plan").text)))
    assert [row["channel"] for row in rows] == [a["channel"] for a in api["allocation"]]
    for row, a in zip(rows, api["allocation"], strict=True):
        assert float(row["recommended_spend"]) == pytest.approx(a["spend"])
        assert float(row["marginal_return"]) == pytest.approx(a["marginal_roas"])
        assert float(row["change"]) == pytest.approx(a["spend"] - a["current_spend"])
    assert sum(float(row["recommended_spend"]) for row in rows) <= 250 + 1e-6  # profit may stop
    split = charts_of(r.text)["chart-budget-split"]["data"]
    assert split[1]["y"] == pytest.approx([a["spend"] for a in api["allocation"]])
    curves = list(csv.DictReader(io.StringIO(c.get(f"{URL}?{query}&export=curves").text)))
    assert {row["form"] for row in curves} == {"hill"}
    db = open_appdb(app_env.appdb)
    with db.session() as s:
        mine = [
            a.details
            for a in records.list_audit(s, action="budget.plan", limit=200)
            if a.target == URL and a.actor == app_env.accounts[DIRECTOR][0]
        ]
    db.close()
    assert any(
        d["total"] == 250 and d["objective"] == "profit" and d["form"] == "hill" for d in mine
    )


def test_weekly_plan_has_a_row_per_channel_and_week(client_for):
    c = client_for(DIRECTOR)
    text = c.get(f"{URL}?total=100&weeks=3&max_scale=0&export=plan").text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {row["week"] for row in rows} == {"1", "2", "3"}
    for week in ("1", "2", "3"):
        daily = sum(float(r["recommended_spend"]) for r in rows if r["week"] == week)
        assert daily == pytest.approx(100, rel=1e-6)


@pytest.mark.parametrize(
    "query", ["total=0", "total=-5", "objective=clicks", "weeks=53", "margin=1.5", "form=cubic"]
)
def test_bad_form_values_are_refused(client_for, query):
    r = client_for(DIRECTOR).get(f"{URL}?{query}")
    assert r.status_code == 422 and 'data-code="validation_error"' in r.text
