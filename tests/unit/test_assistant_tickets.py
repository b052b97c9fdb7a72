"""Ticket analytics on the demo store, against plain pandas and the Python intent rules."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from shopscope.errors import InvalidInputError
from shopscope.storefront.assistant import ticket_stats
from shopscope.storefront.assistant.intents import detect_intents


@pytest.fixture(scope="module")
def frame(demo_wh):
    return demo_wh.duckdb.execute("SELECT * FROM tickets").df()


def test_volume_and_resolution_time_equal_pandas(demo_wh, frame):
    stats = ticket_stats(demo_wh, grain="month", top=20)
    hours = (frame.resolved_at - frame.created_at).dt.total_seconds() / 3600
    assert stats.tickets == len(frame)
    assert stats.resolved == frame.resolved_at.notna().sum()
    assert stats.unresolved == frame.resolved_at.isna().sum()
    assert stats.resolution_hours_median == pytest.approx(hours.median(), rel=1e-9)
    assert stats.resolution_hours_p90 == pytest.approx(hours.quantile(0.9), rel=1e-9)
    monthly = frame.groupby(frame.created_at.dt.to_period("M")).size()
    assert [v["tickets"] for v in stats.volume] == monthly.tolist()
    assert [v["period"] for v in stats.volume] == [p.start_time.date() for p in monthly.index]
    channels = frame.channel.value_counts()
    assert {r["channel"]: r["tickets"] for r in stats.by_channel} == channels.to_dict()
    first = (frame.first_response_at - frame.created_at).dt.total_seconds() / 3600
    assert stats.first_response_hours_median == pytest.approx(first.median(), rel=1e-9)
    assert (first.dropna() <= hours.fillna(float("inf"))[first.notna()] + 1e-9).all()
    assert not any("first-response" in n for n in stats.notes)


def test_first_response_time_is_reported_missing_when_the_data_lacks_it(wh):
    import pyarrow as pa

    from shopscope.warehouse.connection import arrow_schema

    row = {"ticket_id": "T1", "created_at": pd.Timestamp("2026-06-01 10:00"), "text": "hi",
           "status": "open"}  # fmt: skip
    wh.write_arrow("tickets", pa.Table.from_pylist([row], schema=arrow_schema("tickets")))
    stats = ticket_stats(wh)
    assert stats.first_response_hours_median is None
    assert any("first_response_at" in n for n in stats.notes)


def test_topics_in_the_warehouse_equal_the_python_rules(demo_wh, frame):
    stats = ticket_stats(demo_wh, top=20)
    text = frame.subject.fillna("") + " " + frame.text.fillna("")
    topics = text.map(lambda t: next(iter(detect_intents(t)), None))
    expected = topics.map(lambda i: "other" if i is None else i.intent).value_counts()
    assert {r["topic"]: r["tickets"] for r in stats.topics} == expected.to_dict()
    assert sum(r["share"] for r in stats.topics) == pytest.approx(1.0)
    # the demo writes tickets for every intent; all of them are recognised
    assert "other" not in expected.index


def test_period_filter(demo_wh, frame):
    start, end = date(2025, 1, 1), date(2025, 3, 31)
    stats = ticket_stats(demo_wh, start=start, end=end, grain="day")
    inside = frame[(frame.created_at >= pd.Timestamp(start)) & (frame.created_at < "2025-04-01")]
    assert stats.tickets == len(inside)
    assert sum(v["tickets"] for v in stats.volume) == len(inside)
    empty = ticket_stats(demo_wh, start=date(2030, 1, 1))
    assert (empty.tickets, empty.topics, empty.resolution_hours_median) == (0, [], None)
    assert "no tickets in the period" in empty.notes


def test_bad_arguments(demo_wh):
    with pytest.raises(InvalidInputError, match="grain='year'"):
        ticket_stats(demo_wh, grain="year")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="swap them"):
        ticket_stats(demo_wh, start=date(2026, 2, 1), end=date(2026, 1, 1))
