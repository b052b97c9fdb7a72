"""Fixtures of the parity suite: a small synthetic shop in DuckDB and its copy in Spark.

The synthetic shop is written here with NumPy (fixed seed) rather than by the demo generator, so
the suite depends only on the warehouse layer. It covers what tends to differ between engines:
nulls in every nullable column, negative quantities, unknown SKUs, timestamps with microseconds
on day and month boundaries, weeks that straddle months, zero clicks.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from shopscope.warehouse.connection import Warehouse, arrow_schema, connect
from shopscope.warehouse.schema import CANONICAL_TABLES
from shopscope.warehouse.sync import copy_warehouse

__all__ = ["synthetic_shop"]

SEED = 20260630
START = datetime(2026, 1, 1)
DAYS = 120


def _maybe(rng: np.random.Generator, values: list[Any], p_null: float) -> list[Any]:
    return [None if rng.random() < p_null else v for v in values]


def _stamps(rng: np.random.Generator, n: int) -> list[datetime]:
    micros = rng.integers(0, DAYS * 86_400 * 1_000_000, size=n)
    out = [START + timedelta(microseconds=int(m)) for m in micros]
    # Boundaries: first instant of a day and of a month, last microsecond of a day.
    edges = [
        datetime(2026, 2, 1, 0, 0, 0),
        datetime(2026, 1, 31, 23, 59, 59, 999_999),
        datetime(2026, 3, 29, 1, 30, 0, 1),  # a DST gap in Europe; must not move in UTC
        datetime(2026, 4, 30, 23, 59, 59, 999_999),
    ]
    out[: len(edges)] = edges[:n]
    return out


def synthetic_shop(seed: int = SEED) -> dict[str, pa.Table]:
    """Every canonical table of a small deterministic shop, in canonical Arrow schemas."""
    rng = np.random.default_rng(seed)
    countries = ["DE", "FR", "GB", "CN", "US"]
    channels = ["organic", "paid_search", "social", "email"]
    devices = ["desktop", "mobile", "tablet", "app"]

    n_cust = 200
    customer_ids = [f"C{i:04d}" for i in range(n_cust)]
    customers: dict[str, list[Any]] = {
        "customer_id": customer_ids,
        "first_seen_at": _maybe(rng, _stamps(rng, n_cust), 0.05),
        "country": _maybe(rng, list(rng.choice(countries, n_cust)), 0.1),
        "region": _maybe(rng, [f"R{int(r)}" for r in rng.integers(0, 8, n_cust)], 0.3),
        "city": _maybe(rng, [f"City {int(r)}" for r in rng.integers(0, 30, n_cust)], 0.2),
        "lat": _maybe(rng, [round(float(x), 6) for x in rng.uniform(-60, 70, n_cust)], 0.2),
        "lon": _maybe(rng, [round(float(x), 6) for x in rng.uniform(-170, 170, n_cust)], 0.2),
        "acquisition_channel": _maybe(rng, list(rng.choice(channels, n_cust)), 0.1),
        "email_opt_in": _maybe(rng, [bool(b) for b in rng.random(n_cust) < 0.4], 0.15),
    }

    n_prod = 60
    skus = [f"SKU-{i:03d}" for i in range(n_prod)]
    prices = [round(float(p), 2) for p in rng.uniform(2, 150, n_prod)]
    prices[1] = prices[0]  # a tie for the price rank
    products: dict[str, list[Any]] = {
        "sku": skus,
        "title": [f"Product {i}" for i in range(n_prod)],
        "category": _maybe(rng, list(rng.choice(["home", "toys", "garden", "books"], n_prod)), 0.1),
        "subcategory": _maybe(rng, [f"sub{int(r)}" for r in rng.integers(0, 5, n_prod)], 0.3),
        "brand": _maybe(rng, list(rng.choice(["acme", "globex", "initech"], n_prod)), 0.2),
        "price": prices,
        "unit_cost": _maybe(rng, [round(p * 0.55, 2) for p in prices], 0.2),
        "description": _maybe(rng, [f"Describes product {i}." for i in range(n_prod)], 0.3),
        "image_count": _maybe(rng, [int(x) for x in rng.integers(0, 9, n_prod)], 0.1),
        "weight_g": _maybe(rng, [float(x) for x in rng.integers(50, 5000, n_prod)], 0.2),
        "item_kind": ["shipping" if i == n_prod - 1 else "product" for i in range(n_prod)],
        "attributes": _maybe(rng, [json.dumps({"colour": int(i % 4)}) for i in range(n_prod)], 0.5),
    }

    n_ord = 400
    order_ids = [f"O{i:05d}" for i in range(n_ord)]
    ordered_at = _stamps(rng, n_ord)
    statuses = list(
        rng.choice(
            ["paid", "shipped", "delivered", "completed", "cancelled", "returned", "refunded"],
            n_ord,
            p=[0.15, 0.15, 0.2, 0.3, 0.08, 0.07, 0.05],
        )
    )
    item_cols: dict[str, list[Any]] = {
        k: [] for k in ("order_id", "line_no", "sku", "quantity", "unit_price", "discount_amount")
    }
    gross: list[float] = []
    for oid, status in zip(order_ids, statuses, strict=True):
        total = 0.0
        for line in range(1, int(rng.integers(1, 5)) + 1):
            k = int(rng.integers(0, n_prod + 2))
            sku = skus[k] if k < n_prod else f"UNKNOWN-{k - n_prod}"
            price = prices[k] if k < n_prod else 9.99
            qty = int(rng.integers(1, 6))
            if status in ("cancelled", "returned", "refunded"):
                qty = -qty
            item_cols["order_id"].append(oid)
            item_cols["line_no"].append(line)
            item_cols["sku"].append(sku)
            item_cols["quantity"].append(qty)
            item_cols["unit_price"].append(price)
            item_cols["discount_amount"].append(
                None if rng.random() < 0.6 else round(float(rng.uniform(0, 5)), 2)
            )
            total += qty * price
        gross.append(round(total, 2))
    orders: dict[str, list[Any]] = {
        "order_id": order_ids,
        "customer_id": _maybe(rng, list(rng.choice(customer_ids, n_ord)), 0.1),
        "ordered_at": ordered_at,
        "status": statuses,
        "channel": _maybe(rng, list(rng.choice(channels, n_ord)), 0.1),
        "device": _maybe(rng, list(rng.choice(devices, n_ord)), 0.1),
        "currency": ["EUR"] * n_ord,
        "gross_amount": _maybe(rng, gross, 0.03),
        "discount_amount": _maybe(
            rng, [round(float(x), 2) for x in rng.uniform(0, 10, n_ord)], 0.3
        ),
        "shipping_amount": _maybe(rng, [float(x) for x in rng.choice([0, 4.9, 9.9], n_ord)], 0.1),
        "ship_country": _maybe(rng, list(rng.choice(countries, n_ord)), 0.1),
        "ship_lat": _maybe(rng, [float(x) for x in rng.uniform(-60, 70, n_ord)], 0.2),
        "ship_lon": _maybe(rng, [float(x) for x in rng.uniform(-170, 170, n_ord)], 0.2),
    }

    n_ev = 600
    event_types = ["page_view", "product_view", "search", "add_to_cart", "purchase"]
    ev_types = list(rng.choice(event_types, n_ev))
    events: dict[str, list[Any]] = {
        "event_id": [f"E{i:06d}" for i in range(n_ev)],
        "occurred_at": _stamps(rng, n_ev),
        "anonymous_id": _maybe(rng, [f"A{int(r)}" for r in rng.integers(0, 150, n_ev)], 0.05),
        "customer_id": _maybe(rng, list(rng.choice(customer_ids, n_ev)), 0.5),
        "session_id": _maybe(rng, [f"S{int(r)}" for r in rng.integers(0, 250, n_ev)], 0.05),
        "event_type": ev_types,
        "sku": _maybe(rng, list(rng.choice(skus, n_ev)), 0.4),
        "order_id": [str(rng.choice(order_ids)) if t == "purchase" else None for t in ev_types],
        "revenue": [
            round(float(rng.uniform(5, 300)), 2) if t == "purchase" else None for t in ev_types
        ],
        "utm_source": _maybe(rng, list(rng.choice(["google", "meta", "newsletter"], n_ev)), 0.5),
        "utm_medium": _maybe(rng, list(rng.choice(["cpc", "email", "social"], n_ev)), 0.5),
        "utm_campaign": _maybe(rng, list(rng.choice(["spring", "summer"], n_ev)), 0.6),
        "referrer": _maybe(rng, list(rng.choice(["google.com", "bing.com"], n_ev)), 0.6),
        "device": _maybe(rng, list(rng.choice(devices, n_ev)), 0.1),
        "experiment_id": _maybe(rng, ["exp1"] * n_ev, 0.7),
        "variant": _maybe(rng, list(rng.choice(["control", "treatment"], n_ev)), 0.7),
        "properties": _maybe(rng, ['{"k": 1}'] * n_ev, 0.8),
    }

    ad_rows = [
        (START.date() + timedelta(days=d), ch, camp)
        for d in range(60)
        for ch in ("paid_search", "social", "display")
        for camp in ("brand", "generic")
    ]
    n_ad = len(ad_rows)
    clicks = [int(x) for x in rng.poisson(8, n_ad)]
    clicks[:6] = [0] * 6  # a week whose clicks sum to zero for some channel
    ad_spend: dict[str, list[Any]] = {
        "date": [r[0] for r in ad_rows],
        "channel": [r[1] for r in ad_rows],
        "campaign": [r[2] for r in ad_rows],
        "spend": [round(float(x), 2) for x in rng.uniform(0, 80, n_ad)],
        "impressions": _maybe(rng, [int(x) for x in rng.integers(0, 5000, n_ad)], 0.1),
        "clicks": _maybe(rng, clicks, 0.05),
    }

    inv_rows = [
        (date(2026, 4, 26) + timedelta(days=d), skus[s], loc)
        for d in range(5)
        for s in range(20)
        for loc in ("berlin", "lyon", "leeds")
    ]
    n_inv = len(inv_rows)
    inventory: dict[str, list[Any]] = {
        "date": [r[0] for r in inv_rows],
        "sku": [r[1] for r in inv_rows],
        "location": [r[2] for r in inv_rows],
        "on_hand": [int(x) for x in rng.integers(-3, 60, n_inv)],
        "on_order": _maybe(rng, [int(x) for x in rng.integers(0, 100, n_inv)], 0.2),
        "lead_time_days": _maybe(rng, [float(x) for x in rng.choice([3, 7, 14.5], n_inv)], 0.2),
        "moq": _maybe(rng, [int(x) for x in rng.choice([1, 10, 50], n_inv)], 0.3),
        "pack_size": _maybe(rng, [int(x) for x in rng.choice([1, 6, 12], n_inv)], 0.3),
    }

    n_tk = 200
    created = _stamps(rng, n_tk)
    tk_status = list(rng.choice(["open", "pending", "resolved", "closed"], n_tk))
    tickets: dict[str, list[Any]] = {
        "ticket_id": [f"T{i:05d}" for i in range(n_tk)],
        "customer_id": _maybe(rng, list(rng.choice(customer_ids, n_tk)), 0.2),
        "order_id": _maybe(rng, list(rng.choice(order_ids, n_tk)), 0.4),
        "created_at": created,
        "channel": _maybe(rng, list(rng.choice(["email", "chat", "phone"], n_tk)), 0.1),
        "language": _maybe(rng, list(rng.choice(["en", "zh", "other"], n_tk)), 0.1),
        "subject": _maybe(rng, ["Where is my order?"] * n_tk, 0.5),
        "text": ["Hello, " + "x" * int(k) for k in rng.integers(1, 40, n_tk)],
        "status": tk_status,
        "resolved_at": [
            c + timedelta(microseconds=int(rng.integers(1, 5 * 86_400 * 1_000_000)))
            if s in ("resolved", "closed")
            else None
            for c, s in zip(created, tk_status, strict=True)
        ],
        "first_response_at": [
            c + timedelta(microseconds=int(rng.integers(1, 86_400 * 1_000_000)))
            if s != "open"
            else None
            for c, s in zip(created, tk_status, strict=True)
        ],
    }

    raw: dict[str, dict[str, list[Any]]] = {
        "customers": customers,
        "products": products,
        "orders": orders,
        "order_items": item_cols,
        "events": events,
        "ad_spend": ad_spend,
        "inventory": inventory,
        "tickets": tickets,
    }
    return {
        name: pa.Table.from_pydict(
            {k: [_plain(v) for v in col] for k, col in cols.items()}, schema=arrow_schema(name)
        )
        for name, cols in raw.items()
    }


def _plain(v: object) -> object:
    """NumPy scalars as Python values (Arrow needs one or the other consistently)."""
    return v.item() if isinstance(v, np.generic) else v


def build_duckdb(tables: dict[str, pa.Table]) -> Warehouse:
    """An in-memory DuckDB warehouse holding ``tables``."""
    wh = connect("duckdb://:memory:")
    for name, data in tables.items():
        wh.write_arrow(name, data, mode="overwrite")
    return wh


def _spark_available() -> str | None:
    """Why Spark cannot run here, or None when it can."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "pyspark is not installed (pip install 'shopscope[spark]')"
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        return "Java is not installed (Spark needs Java 17+)"
    return None


@pytest.fixture(scope="session")
def shop_tables() -> dict[str, pa.Table]:
    """The synthetic shop as Arrow tables."""
    tables = synthetic_shop()
    assert set(tables) == {t.name for t in CANONICAL_TABLES}
    return tables


def _demo_warehouse() -> Warehouse | None:
    """The demo generator's small shop in DuckDB, when that module exists and works."""
    try:
        from shopscope.warehouse.demo import generate_demo
    except ImportError:
        return None
    wh = connect("duckdb://:memory:")
    try:
        generate_demo(wh, size="small", seed=1, end_date=date(2026, 6, 30))
    except Exception:  # an in-progress generator must not break the parity suite
        wh.close()
        return None
    return wh


@pytest.fixture(scope="session")
def synthetic_duck(shop_tables: dict[str, pa.Table]) -> Iterator[Warehouse]:
    """The synthetic shop in an in-memory DuckDB warehouse."""
    wh = build_duckdb(shop_tables)
    yield wh
    wh.close()


@pytest.fixture(scope="session")
def demo_duck() -> Iterator[Warehouse]:
    """The demo generator's small shop in DuckDB; skips while the generator is unavailable."""
    wh = _demo_warehouse()
    if wh is None:
        pytest.skip("shopscope.warehouse.demo.generate_demo is not available")
    yield wh
    wh.close()


@pytest.fixture(scope="session", params=["synthetic", "demo"])
def shop_name(request: pytest.FixtureRequest) -> str:
    """Which shop a parity test runs on."""
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def duck_shop(request: pytest.FixtureRequest, shop_name: str) -> Warehouse:
    """The shop ``shop_name`` in DuckDB."""
    wh: Warehouse = request.getfixturevalue(f"{shop_name}_duck")
    return wh


@pytest.fixture(scope="session")
def spark_url() -> str:
    """The in-memory Spark URL; skips when pyspark or Java is missing."""
    reason = _spark_available()
    if reason is not None:
        pytest.skip(reason)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    return "spark://"


def _spark_copy(source: Warehouse, url: str) -> Iterator[Warehouse]:
    wh = connect(url)
    copy_warehouse(source, wh)
    yield wh
    wh.close()


@pytest.fixture(scope="session")
def synthetic_spark(synthetic_duck: Warehouse, spark_url: str) -> Iterator[Warehouse]:
    """The synthetic shop copied into an in-memory Spark warehouse."""
    yield from _spark_copy(synthetic_duck, spark_url)


@pytest.fixture(scope="session")
def demo_spark(demo_duck: Warehouse, spark_url: str) -> Iterator[Warehouse]:
    """The demo shop copied into an in-memory Spark warehouse."""
    yield from _spark_copy(demo_duck, spark_url)


@pytest.fixture(scope="session")
def spark_shop(request: pytest.FixtureRequest, shop_name: str) -> Warehouse:
    """The shop ``shop_name`` in Spark."""
    wh: Warehouse = request.getfixturevalue(f"{shop_name}_spark")
    return wh
