"""Audiences: save any selection in the warehouse, list, export as CSV, replace, delete."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.retention.audiences import (
    AUDIENCES_TABLE,
    MEMBERS_TABLE,
    audience_members,
    delete_audience,
    export_audience,
    list_audiences,
    rfm_segment_members,
    save_audience,
)
from shopscope.retention.churn import churn_risk
from shopscope.retention.rfm import rfm_scores
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.demo import generate_demo


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A writable small demo (module scope; the shared demo_wh is read-only)."""
    path = tmp_path_factory.mktemp("aud") / "shop.duckdb"
    wh = connect(f"duckdb:///{path}")
    generate_demo(wh, size=5_000, seed=3, end_date=dt.date(2026, 6, 30))
    yield wh  # type: ignore[misc]
    wh.close()


def test_save_rfm_segment_and_export(shop: Warehouse, tmp_path: Path) -> None:
    members = rfm_segment_members(shop, ["Champions", "Loyal"])
    a = save_audience(shop, "best customers", members, source="rfm",
                      definition={"segments": ["Champions", "Loyal"]})  # fmt: skip
    scores = rfm_scores(shop).to_pandas()
    expected = scores[scores.segment.isin(["Champions", "Loyal"])]
    assert a.customers == len(expected) > 0
    assert shop.has_table(AUDIENCES_TABLE) and shop.has_table(MEMBERS_TABLE)
    [listed] = [x for x in list_audiences(shop) if x.name == "best customers"]
    assert listed.definition == {"segments": ["Champions", "Loyal"]} and listed.source == "rfm"
    out = tmp_path / "best.csv"
    table = export_audience(shop, "best customers", out)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == table.num_rows == a.customers
    assert set(rows[0]) == {"customer_id", "rank", "score", "email_opt_in", "country", "city"}
    assert {r["customer_id"] for r in rows} == set(expected.customer_id)
    # ranked by score (monetary), highest first
    by_id = expected.set_index("customer_id").monetary
    assert rows[0]["customer_id"] == by_id.idxmax()
    opted = export_audience(shop, "best customers", opt_in_only=True)
    assert 0 < opted.num_rows < table.num_rows
    assert all(opted.column("email_opt_in").to_pylist())


def test_save_churn_list_replace_and_delete(shop: Warehouse) -> None:
    risk = churn_risk(shop, from_date=dt.date(2026, 3, 31), to_date=dt.date(2026, 6, 30),
                      limit=25)  # fmt: skip
    members = risk.customers.select(["customer_id", "value_at_risk"]).rename_columns(
        ["customer_id", "score"]
    )
    save_audience(shop, "at-risk", members, source="churn")
    with pytest.raises(InvalidInputError, match="exists; pass replace=True"):
        save_audience(shop, "at-risk", ["C00000001"])
    ids = members.column("customer_id").to_pylist()
    got = audience_members(shop, "at-risk").to_pyarrow()
    assert got.column("customer_id").to_pylist() == ids  # rank = value at risk order
    save_audience(shop, "at-risk", ids[:3], replace=True)
    assert audience_members(shop, "at-risk").count().execute() == 3
    assert [a.customers for a in list_audiences(shop) if a.name == "at-risk"] == [3]
    delete_audience(shop, "at-risk")
    assert "at-risk" not in [a.name for a in list_audiences(shop)]
    with pytest.raises(NotFoundError, match=r"No audience 'at-risk'\. Saved audiences: "):
        export_audience(shop, "at-risk")


@pytest.mark.parametrize(
    ("name", "members", "match"),
    [
        ("", ["a"], "is not allowed"),
        ("bad;name", ["a"], "is not allowed"),
        ("x" * 70, ["a"], "is not allowed"),
        ("ok", [], "would be empty"),
        ("ok", ["a", "a"], "twice"),
        ("ok", pa.table({"id": ["a"]}), "no customer_id column"),
        ("ok", pa.table({"customer_id": pa.array([None, "a"], pa.string())}), "null"),
    ],
)
def test_invalid_audiences(wh: Warehouse, name: str, members: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        save_audience(wh, name, members)  # type: ignore[arg-type]


def test_unknown_segment_lists_known_ones(shop: Warehouse) -> None:
    with pytest.raises(InvalidInputError, match="segments: Champions"):
        rfm_segment_members(shop, ["Whales"])


def test_empty_warehouse_has_no_audiences(wh: Warehouse) -> None:
    assert list_audiences(wh) == []
    with pytest.raises(NotFoundError, match=r"Saved audiences: \(none\)"):
        delete_audience(wh, "x")


def test_saved_audience_survives_reopen(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    with connect(url) as wh:
        save_audience(wh, "vip", ["c1", "c2"], description="hand-picked")
    with connect(url, read_only=True) as wh:
        [a] = list_audiences(wh)
        assert (a.name, a.customers, a.description) == ("vip", 2, "hand-picked")
        assert export_audience(wh, "vip").column("customer_id").to_pylist() == ["c1", "c2"]
