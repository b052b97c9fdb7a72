"""Channel grouping (Python and engine agree), the performance table against pandas, bad input."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from shopscope.acquisition.channels import (
    channel_expr,
    classify,
    load_channel_rules,
    parse_utm,
    sessions,
)
from shopscope.acquisition.performance import channel_report, channel_table
from shopscope.errors import InvalidInputError
from shopscope.insight.periods import DateRange
from shopscope.warehouse.connection import arrow_schema

RULES = load_channel_rules()
JUNE = DateRange(date(2026, 6, 1), date(2026, 6, 30))


def events_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Canonical events from partial rows (missing columns are null)."""
    schema = arrow_schema("events")
    full = []
    for i, r in enumerate(rows):
        row = {f.name: None for f in schema}
        row.update({"event_id": f"E{i:05d}", "event_type": "page_view"})
        row.update(r)
        full.append(row)
    return pa.Table.from_pylist(full, schema=schema)


@pytest.mark.parametrize(
    ("fields", "channel"),
    [
        ({}, "direct"),
        ({"source": "(direct)", "medium": "(none)"}, "direct"),
        ({"source": "google", "medium": "cpc"}, "paid_search"),
        ({"source": "Google", "medium": "CPC "}, "paid_search"),
        ({"source": "facebook", "medium": "cpc"}, "paid_social"),
        ({"source": "wechat", "medium": "paid_social"}, "paid_social"),
        ({"source": "google", "medium": "organic"}, "organic_search"),
        ({"referrer": "www.bing.com"}, "organic_search"),
        ({"source": "newsletter", "medium": "email"}, "email"),
        ({"source": "newsletter"}, "email"),
        ({"source": "awin", "medium": "affiliate"}, "affiliate"),
        ({"source": "reddit.com", "medium": "referral", "referrer": "www.reddit.com"}, "referral"),
        ({"referrer": "l.instagram.com"}, "organic_social"),
        ({"referrer": "blog.example.org"}, "referral"),
        ({"medium": "display"}, "display"),
        ({"source": "tv", "medium": "offline"}, "other"),
    ],
)
def test_default_rules_classify(fields: dict[str, str], channel: str) -> None:
    assert classify(RULES, **fields) == channel


def test_engine_expression_agrees_with_python() -> None:
    values = [None, "", "google", "facebook", "newsletter", "cpc", "organic", "email",
              "paid_social", "awin", "affiliate", "referral", "www.google.com",
              "l.instagram.com", "example.org", "display", "(direct)"]  # fmt: skip
    rows = [
        {"source": s, "medium": m, "campaign": None, "referrer": r}
        for s in values
        for m in values[::2]
        for r in values[::3]
    ]
    t = ibis.memtable(pd.DataFrame(rows), schema={k: "string" for k in rows[0]})
    got = t.mutate(channel=channel_expr(RULES, {k: t[k] for k in rows[0]})).to_pyarrow()
    for row in got.to_pylist():
        expected = classify(
            RULES, source=row["source"], medium=row["medium"], referrer=row["referrer"]
        )
        assert row["channel"] == expected, row


def test_rules_can_be_overridden(tmp_path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(
        'default = "unassigned"\n[[rule]]\nchannel = "tv"\nsource_regex = "^tv"\n'
        '[[rule]]\nchannel = "search"\nmedium = ["cpc", "organic"]\n',
        encoding="utf-8",
    )
    rules = load_channel_rules(path)
    assert rules.channels == ("tv", "search", "unassigned")
    assert classify(rules, source="tv-spot") == "tv"
    assert classify(rules, medium="organic") == "search"
    assert classify(rules) == "unassigned"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[rule]]\nchannel = "x"\n', "has no condition"),
        ('[[rule]]\nchannel = "x"\ncolour = ["red"]\n', "unknown field"),
        ('[[rule]]\nchannel = "x"\nsource_regex = "("\n', "not a valid regular expression"),
        ('[[rule]]\nchannel = "x"\nsource_present = "yes"\n', "not understood"),
        ('default = "x"\n', "no \\[\\[rule\\]\\] entries"),
        ("[[rule]\n", "Cannot read channel rules"),
    ],
)
def test_bad_rules_explain(tmp_path, text: str, message: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message):
        load_channel_rules(path)


def test_parse_utm() -> None:
    got = parse_utm("https://shop.example/p?utm_source=google&utm_medium=cpc&utm_campaign=x%20y")
    assert got["utm_source"] == "google"
    assert got["utm_campaign"] == "x y"
    assert got["utm_term"] is None


def test_sessions_use_the_landing_event_and_stitch_users(wh) -> None:
    t0 = datetime(2026, 6, 1, 10)
    wh.write_arrow(
        "events",
        events_table(
            [
                # landing with UTM, later events of the session without
                {
                    "session_id": "S1",
                    "anonymous_id": "A1",
                    "occurred_at": t0,
                    "utm_source": "google",
                    "utm_medium": "cpc",
                },
                {
                    "session_id": "S1",
                    "anonymous_id": "A1",
                    "occurred_at": t0 + timedelta(minutes=5),
                },
                # a later session of the same device logs in and buys
                {
                    "session_id": "S2",
                    "anonymous_id": "A1",
                    "occurred_at": t0 + timedelta(days=1),
                    "customer_id": "C1",
                    "event_type": "purchase",
                    "order_id": "O1",
                    "revenue": 20.0,
                },
                # an event without session id is its own session
                {"anonymous_id": "A9", "occurred_at": t0},
            ]
        ),
    )
    got = {r["session_id"]: r for r in sessions(wh).to_pyarrow().to_pylist()}
    assert got["S1"]["channel"] == "paid_search"
    assert got["S1"]["user_id"] == "C1"  # stitched through anonymous_id A1
    assert got["S2"]["channel"] == "direct"
    assert got["S2"]["purchases"] == 1 and got["S2"]["revenue"] == 20.0
    assert got["E00003"]["user_id"] == "anon:A9"


def _pandas_channel_table(wh, period: DateRange) -> pd.DataFrame:
    """The channel table in plain pandas, from raw tables (an independent implementation)."""
    con = wh.duckdb
    ev = con.execute("SELECT * FROM events").df()
    ev["sid"] = ev.session_id.fillna(ev.event_id)
    ev = ev.sort_values(["sid", "occurred_at"])
    first = ev.groupby("sid").first()  # NB: pandas' first skips nulls; fine on the demo
    landing = ev.groupby("sid").head(1).set_index("sid")
    start = ev.groupby("sid").occurred_at.min()
    sess = pd.DataFrame({"start": start})
    sess["channel"] = [
        classify(RULES, source=s, medium=m, campaign=c, referrer=r)
        for s, m, c, r in zip(
            landing.utm_source, landing.utm_medium, landing.utm_campaign, landing.referrer,
            strict=True,
        )
    ]  # fmt: skip
    del first
    sess["bought"] = (
        ev[ev.event_type == "purchase"].groupby("sid").size().reindex(sess.index, fill_value=0)
    )
    sess = sess[(sess.start >= period.start_ts) & (sess.start < period.end_ts)]
    out = sess.groupby("channel").agg(
        sessions=("start", "size"), buyers=("bought", lambda b: (b > 0).sum())
    )
    spend = (
        con.execute(
            "SELECT channel, sum(spend) AS spend FROM ad_spend "
            "WHERE date BETWEEN ? AND ? GROUP BY 1",
            [period.start, period.end],
        )
        .df()
        .set_index("channel")
    )
    return out.join(spend, how="outer").fillna(0)


def test_channel_table_matches_pandas(demo_wh) -> None:
    got = channel_table(demo_wh, JUNE).to_pandas().set_index("channel")
    want = _pandas_channel_table(demo_wh, JUNE)
    assert sorted(got.index) == sorted(want.index)
    for ch in want.index:
        assert got.loc[ch, "sessions"] == want.loc[ch, "sessions"], ch
        assert got.loc[ch, "purchase_sessions"] == want.loc[ch, "buyers"], ch
        assert got.loc[ch, "spend"] == pytest.approx(want.loc[ch, "spend"], rel=1e-9), ch
    ps = got.loc["paid_search"]
    assert ps.cpc == pytest.approx(ps.spend / ps.clicks)
    assert ps.roas == pytest.approx(ps.revenue / ps.spend)
    assert ps.cac == pytest.approx(ps.spend / ps.new_customers)
    assert pd.isna(got.loc["direct", "cac"])  # no spend: undefined, not 0


def test_report_totals_and_grains(demo_wh) -> None:
    report = channel_report(demo_wh, JUNE)
    rows = report.rows.to_pylist()
    assert report.totals["spend"] == pytest.approx(sum(r["spend"] for r in rows))
    assert report.totals["mer"] == pytest.approx(report.totals["revenue"] / report.totals["spend"])
    by_campaign = channel_table(demo_wh, JUNE, by="campaign").to_pandas()
    assert by_campaign.spend.sum() == pytest.approx(report.totals["spend"])
    assert set(by_campaign.revenue_basis) == {"sessions"}
    by_day = channel_table(demo_wh, JUNE, by="day").to_pandas()
    assert by_day.sessions.sum() == report.totals["sessions"]
    assert any("no UTM tags" in n for n in report.notes)
    with pytest.raises(InvalidInputError, match="Unknown grain 'week'"):
        channel_table(demo_wh, JUNE, by="week")  # type: ignore[arg-type]


def _spend_rows(rows: list[tuple[date, str, str, float]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{"date": d, "channel": c, "campaign": k, "spend": s, "impressions": 100, "clicks": 5}
         for d, c, k, s in rows],
        schema=arrow_schema("ad_spend"),
    )  # fmt: skip


def test_spend_without_sessions_and_sessions_without_spend_are_noted(wh) -> None:
    day = datetime(2026, 6, 3, 12)
    wh.write_arrow(
        "events",
        events_table([{"session_id": "S1", "occurred_at": day, "utm_source": "facebook",
                       "utm_medium": "paid_social"}]),
    )  # fmt: skip
    wh.write_arrow("ad_spend", _spend_rows([(day.date(), "tv", "launch", 500.0)]))
    report = channel_report(wh, JUNE)
    text = " ".join(report.notes)
    assert "'tv' has spend 500.00 but no sessions" in text
    assert "'paid_social' has 1 sessions but no ad_spend rows" in text
    rows = {r["channel"]: r for r in report.rows.to_pylist()}
    assert rows["tv"]["roas"] == 0.0 and rows["paid_social"]["roas"] is None


def test_negative_spend_is_refused(wh) -> None:
    wh.write_arrow("ad_spend", _spend_rows([(date(2026, 6, 2), "paid_search", "brand", -3.0)]))
    with pytest.raises(InvalidInputError, match=r"negative spend.*paid_search/brand: -3"):
        channel_report(wh, JUNE)


def test_missing_spend_counts_as_zero_with_a_note(wh) -> None:
    # the canonical DDL forbids null spend; other sources (e.g. Spark folders) may not
    wh.duckdb.execute("ALTER TABLE ad_spend ALTER COLUMN spend DROP NOT NULL")
    wh.write_arrow("ad_spend", _spend_rows([(date(2026, 6, 2), "paid_search", "brand", 4.0)]))
    wh.duckdb.execute(
        "INSERT INTO ad_spend VALUES (DATE '2026-06-03', 'paid_search', 'brand', NULL, 1, 1)"
    )
    report = channel_report(wh, JUNE)
    assert report.totals["spend"] == 4.0
    assert any("1 ad_spend row(s) have no spend value" in n for n in report.notes)


def test_empty_events_give_zero_sessions_and_a_note(wh) -> None:
    wh.write_arrow("ad_spend", _spend_rows([(date(2026, 6, 2), "paid_search", "brand", 10.0)]))
    report = channel_report(wh, JUNE)
    assert report.totals["sessions"] == 0
    assert any("No sessions in the period" in n for n in report.notes)
