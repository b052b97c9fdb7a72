"""Catalog audit: every check against an independent pass over the products rows."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from shopscope.errors import InvalidInputError
from shopscope.team.catalog_audit import CHECKS, audit_catalog
from shopscope.warehouse.connection import Warehouse, arrow_schema


def _independent(rows: list[dict[str, object]]) -> dict[str, set[str]]:
    """The rules of docs/methods/catalog-audit.md, written out plainly."""
    out: dict[str, set[str]] = {code: set() for code in CHECKS}
    titles: dict[str, list[str]] = {}
    for r in rows:
        titles.setdefault(" ".join(str(r["title"] or "").lower().split()), []).append(str(r["sku"]))
    for r in rows:
        sku = str(r["sku"])
        desc = str(r["description"] or "").strip()
        if not desc:
            out["missing_description"].add(sku)
        elif len(desc) < 80:
            out["short_description"].add(sku)
        if not r["image_count"]:
            out["missing_images"].add(sku)
        if str(r["attributes"] or "").strip() in ("", "{}", "null"):
            out["missing_attributes"].add(sku)
        if len(titles[" ".join(str(r["title"] or "").lower().split())]) > 1:
            out["duplicate_title"].add(sku)
        price, cost = r["price"], r["unit_cost"]
        if isinstance(price, float) and isinstance(cost, float) and price < cost:
            out["price_below_cost"].add(sku)
    return out


def test_demo_catalog_issues_match_an_independent_pass(demo_wh: Warehouse) -> None:
    rows = [r for r in demo_wh.to_arrow("products").to_pylist() if r["item_kind"] == "product"]
    audit = audit_catalog(demo_wh)
    assert audit.products == len(rows)
    found: dict[str, set[str]] = {code: set() for code in CHECKS}
    for issue in audit.issues:
        found[issue.code].add(issue.sku)
    expected = _independent(rows)
    expected["missing_search_terms"] = set()  # the demo's search terms carry no category signal
    assert found == expected
    assert sum(len(v) for v in expected.values()) > 50  # the demo plants listing problems
    assert audit.counts()["missing_images"] == len(expected["missing_images"])


def _product(sku: str, title: str, category: str, **extra: object) -> dict[str, object]:
    return {
        "sku": sku, "title": title, "category": category, "price": 10.0, "unit_cost": 4.0,
        "description": "A long enough description " * 4, "image_count": 3,
        "attributes": '{"colour": "red"}', "item_kind": "product", **extra,
    }  # fmt: skip


def test_converting_search_terms_and_bad_prices(wh: Warehouse) -> None:
    products = [
        _product("T1", "Green Tea Tin", "Tea"),
        _product("T2", "Breakfast Blend", "Tea", price=3.0),
        _product("C1", "Soy Candle", "Candles"),
        _product("C2", "Soy candle ", "Candles", attributes="{}"),
    ]
    wh.write_arrow("products", pa.Table.from_pylist(products, schema=arrow_schema("products")))
    t0 = datetime(2026, 6, 1, 10)
    events = []
    for s in range(60):  # "green tea" leads to Tea views and carts; "candle" to Candles
        term, sku = ("green tea", "T1") if s % 2 else ("candle", "C1")
        for k, (kind, props, item) in enumerate(
            [("search", {"query": term}, None), ("product_view", None, sku),
             ("add_to_cart", None, sku if s % 3 else None)]
        ):  # fmt: skip
            if kind == "add_to_cart" and item is None:
                continue
            events.append({
                "event_id": f"{s}-{k}", "occurred_at": t0 + timedelta(minutes=s * 10 + k),
                "session_id": f"s{s}", "event_type": kind, "sku": item,
                "properties": json.dumps(props) if props else None,
            })  # fmt: skip
    wh.write_arrow("events", pa.Table.from_pylist(events, schema=arrow_schema("events")))
    audit = audit_catalog(wh, min_searches=10)
    assert audit.search_terms == {"Candles": ("candle",), "Tea": ("green tea",)}
    codes = {(i.sku, i.code) for i in audit.issues}
    assert ("T2", "missing_search_terms") in codes and ("T1", "missing_search_terms") not in codes
    assert ("T2", "price_below_cost") in codes
    assert {("C1", "duplicate_title"), ("C2", "duplicate_title")} <= codes
    assert ("C2", "missing_attributes") in codes
    with pytest.raises(InvalidInputError):
        audit_catalog(wh, min_searches=0)
