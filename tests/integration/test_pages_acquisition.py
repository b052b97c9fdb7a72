"""Acquisition page through the real app: both languages, permissions, filters in the URL, CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from server_helpers import charts_of, english_only_messages, main_of

from shopscope.server.i18n import catalog

URL = "/tactical/acquisition"
ROLES = ["traffic_ops", "growth_hacker"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("role", ROLES)
def test_acquisition_page_renders_in_each_language(client_for, role, lang):
    c = client_for(role)
    c.cookies.set("shopscope_lang", lang)
    english = english_only_messages()
    try:
        r = c.get(URL)
        assert r.status_code == 200, r.text[:300]
        assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in r.text
        main = main_of(r.text)
        assert "⟦" not in main, re.findall("⟦[^⟧]*⟧", main)
        assert catalog(lang)("acq.title") in main
        if lang == "zh":
            leaked = sorted(m for m in english if f">{m}<" in main)
            assert leaked == [], leaked
    finally:
        c.cookies.delete("shopscope_lang")


def test_page_is_refused_without_the_permission(client_for):
    for role in ("user_ops", "campaign_executor"):
        r = client_for(role).get(URL)
        assert r.status_code == 403 and 'data-code="forbidden"' in r.text


def test_date_range_in_the_url_drives_tables_and_charts(client_for):
    c = client_for("traffic_ops")
    r = c.get(URL, params={"from": "2026-06-01", "to": "2026-06-30"})
    assert r.status_code == 200
    main = main_of(r.text)
    assert 'value="2026-06-01"' in main and 'value="2026-06-30"' in main
    charts = charts_of(r.text)
    assert {"chart-roas-cac", "chart-attribution"} <= set(charts)
    api = c.get("/api/v1/channels?from=2026-06-01&to=2026-06-30&limit=1000").json()["items"]
    roas = charts["chart-roas-cac"]["data"][0]
    assert roas["x"] == [row["channel"] for row in api]
    assert roas["y"] == pytest.approx([row["roas"] for row in api])
    models = {t["name"] for t in charts["chart-attribution"]["data"]}
    assert (
        catalog("en")("acq.model.markov") in models or catalog("zh")("acq.model.markov") in models
    )
    bad = c.get(URL, params={"from": "2026-06-30", "to": "2026-06-01"})
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "table", ["channels", "attribution_conversions", "attribution_revenue", "cohorts"]
)
def test_tables_export_as_csv_with_the_page_filters(client_for, table):
    c = client_for("traffic_ops")
    r = c.get(URL, params={"from": "2026-06-01", "to": "2026-06-30", "by": "day", "export": table})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows
    if table == "channels":
        days = {row["day"] for row in rows}
        assert min(days) == "2026-06-01" and max(days) == "2026-06-30"


def test_attribution_follows_the_dates_in_the_url(client_for):
    from shopscope.server.pages.acquisition import PAGE_MODELS

    c = client_for("traffic_ops")
    models = ",".join(PAGE_MODELS)
    june = {"from": "2026-06-01", "to": "2026-06-30"}
    r = c.get(URL, params=june)
    t = catalog("en")
    api = c.get("/api/v1/attribution", params={"models": models, **june}).json()
    summary = t(
        "acq.attribution_summary_period",
        attributed=f"{api['stats']['attributed_conversions']:,}",
        conversions=f"{api['stats']['conversions']:,}",
        days="30",
        start="1 Jun 2026",
        end="30 Jun 2026",
    )
    assert summary in r.text
    rows = list(
        csv.DictReader(
            io.StringIO(c.get(URL, params={**june, "export": "attribution_conversions"}).text)
        )
    )
    want = {row["channel"]: row for row in api["conversions"]}
    for row in rows:
        for m in PAGE_MODELS:
            assert float(row[m]) == pytest.approx(want[row["channel"]][m])
    # without dates: every path, as the API gives by default
    everything = c.get("/api/v1/attribution", params={"models": models}).json()
    plain = c.get(URL).text
    stats = everything["stats"]
    summary = t(
        "acq.attribution_summary",
        attributed=f"{stats['attributed_conversions']:,}",
        conversions=f"{stats['conversions']:,}",
        days="30",
    )
    assert summary in plain
    assert everything["stats"]["conversions"] > api["stats"]["conversions"]
