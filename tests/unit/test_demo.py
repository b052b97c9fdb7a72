"""The seeded demo-store generator: determinism, schema conformance and its ground truth."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import pytest

import shopscope.warehouse.demo as demo
from shopscope.errors import InvalidInputError
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.demo import DemoParams, DemoSummary, SizePreset, generate_demo
from shopscope.warehouse.demo import generator as generator_module
from shopscope.warehouse.schema import TABLES

END = dt.date(2026, 5, 1)
DEMO_TABLES = (
    "customers", "products", "orders", "order_items", "events", "ad_spend", "inventory",
    "tickets", "demo_truth",
)  # fmt: skip


def _scalar(wh: Warehouse, sql: str) -> Any:
    row = wh.duckdb.execute(sql).fetchone()
    assert row is not None
    return row[0]


def _checksums(wh: Warehouse) -> dict[str, tuple[int, int]]:
    """Order-independent fingerprint (row count, sum of row hashes) of every demo table."""
    out = {}
    for name in DEMO_TABLES:
        row = wh.duckdb.execute(f"SELECT count(*), sum(hash(t)) FROM {name} AS t").fetchone()
        assert row is not None
        out[name] = (int(row[0]), int(row[1] or 0))
    return out


@pytest.fixture(scope="module")
def small() -> Iterator[tuple[Warehouse, DemoSummary]]:
    wh = connect("duckdb://:memory:")
    summary = generate_demo(wh, size="small", seed=42, end_date=END)
    yield wh, summary
    wh.close()


def test_public_api_is_exact() -> None:
    assert sorted(demo.__all__) == sorted(
        ["SIZE_PRESETS", "DemoParams", "DemoSummary", "SizePreset", "generate_demo"]
    )


def test_same_inputs_give_identical_tables_and_other_seeds_differ() -> None:
    runs = []
    for seed in (7, 7, 8):
        wh = connect("duckdb://:memory:")
        generate_demo(wh, size=4000, seed=seed, end_date=END, days=365)
        runs.append(_checksums(wh))
        wh.close()
    assert runs[0] == runs[1]
    assert runs[0]["orders"] != runs[2]["orders"]
    assert runs[0]["events"] != runs[2]["events"]


def test_small_size_counts(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, summary = small
    assert summary.size == "small"
    assert summary.seed == 42
    assert summary.end_date == END
    assert summary.start_date == END - dt.timedelta(days=729)
    assert 20_000 <= summary.order_lines <= 40_000
    assert summary.seconds > 0  # generation time is measured in benchmarks/, not asserted
    for name in DEMO_TABLES:
        assert summary.counts[name] > 0, name
        assert _scalar(wh, f"SELECT count(*) FROM {name}") == summary.counts[name]
    assert summary.counts["events"] <= 300_000


def test_custom_size_is_close_to_target() -> None:
    wh = connect("duckdb://:memory:")
    summary = generate_demo(wh, size=12_000, seed=3, end_date=END)
    assert summary.size == "custom"
    assert 0.75 * 12_000 <= summary.order_lines <= 1.25 * 12_000
    wh.close()


def test_tables_conform_to_the_canonical_schema(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, _ = small
    for name in DEMO_TABLES:
        table = TABLES[name]
        described = wh.duckdb.execute(f"DESCRIBE {name}").fetchall()
        assert [r[0] for r in described] == table.column_names
        keys = ", ".join(table.primary_key)
        dupes = _scalar(
            wh, f"SELECT count(*) FROM (SELECT {keys} FROM {name} GROUP BY ALL HAVING count(*) > 1)"
        )
        assert dupes == 0, f"{name}: duplicate primary keys"
        for col in table.columns:
            checks = []
            if not col.nullable:
                checks.append(f"{col.name} IS NULL")
            if col.allowed is not None:
                values = ", ".join(f"'{v}'" for v in col.allowed)
                checks.append(f"{col.name} NOT IN ({values})")
            if col.minimum is not None:
                checks.append(f"{col.name} < {col.minimum}")
            if col.maximum is not None:
                checks.append(f"{col.name} > {col.maximum}")
            for check in checks:
                bad = _scalar(wh, f"SELECT count(*) FROM {name} WHERE {check}")
                assert bad == 0, f"{name}: {bad} rows where {check}"


def test_timestamps_fall_inside_the_history(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, summary = small
    lo = f"TIMESTAMP '{summary.start_date}'"
    hi = f"TIMESTAMP '{summary.end_date + dt.timedelta(days=1)}'"
    for table, col in [
        ("orders", "ordered_at"),
        ("customers", "first_seen_at"),
        ("events", "occurred_at"),
        ("tickets", "created_at"),
        ("tickets", "resolved_at"),
    ]:
        bad = _scalar(wh, f"SELECT count(*) FROM {table} WHERE {col} < {lo} OR {col} >= {hi}")
        assert bad == 0, f"{table}.{col}"


def test_gross_amount_is_the_sum_of_product_lines(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, _ = small
    bad = _scalar(
        wh,
        """
        SELECT count(*) FROM orders o
        LEFT JOIN (
            SELECT i.order_id, sum(i.quantity * i.unit_price) AS lines,
                   sum(i.discount_amount) AS disc
            FROM order_items i JOIN products p USING (sku)
            WHERE p.item_kind = 'product' GROUP BY 1
        ) l USING (order_id)
        WHERE abs(o.gross_amount - coalesce(l.lines, 0)) > 0.005
           OR abs(o.discount_amount - coalesce(l.disc, 0)) > 0.005
        """,
    )
    assert bad == 0
    shipping = _scalar(
        wh,
        """
        SELECT count(*) FROM orders o
        LEFT JOIN (SELECT order_id, sum(unit_price) AS s FROM order_items
                   WHERE sku = 'SHIP-STD' GROUP BY 1) s USING (order_id)
        WHERE abs(o.shipping_amount - coalesce(s.s, 0)) > 0.005
        """,
    )
    assert shipping == 0


def test_orders_statuses_returns_and_guests(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, _ = small
    n = _scalar(wh, "SELECT count(*) FROM orders")
    returns = _scalar(wh, "SELECT count(*) FROM orders WHERE status = 'returned'")
    cancelled = _scalar(wh, "SELECT count(*) FROM orders WHERE status = 'cancelled'")
    guests = _scalar(wh, "SELECT count(*) FROM orders WHERE customer_id IS NULL")
    assert 0.01 < returns / n < 0.10
    assert 0.005 < cancelled / n < 0.05
    assert 0.01 < guests / n < 0.08
    assert _scalar(wh, "SELECT count(DISTINCT currency) FROM orders") == 1
    # Returns: R-prefixed, negative quantities, SKUs bought in the original order.
    bad = _scalar(
        wh,
        """
        SELECT count(*) FROM orders r JOIN order_items ri USING (order_id)
        WHERE r.status = 'returned' AND (
            NOT starts_with(r.order_id, 'R') OR ri.quantity >= 0 OR r.gross_amount >= 0
            OR NOT EXISTS (SELECT 1 FROM order_items oi
                           WHERE oi.order_id = 'O' || substr(r.order_id, 2)
                             AND oi.sku = ri.sku AND oi.quantity = -ri.quantity))
        """,
    )
    assert bad == 0
    orphans = _scalar(
        wh, "SELECT count(*) FROM order_items WHERE order_id NOT IN (SELECT order_id FROM orders)"
    )
    assert orphans == 0
    unknown = _scalar(
        wh, "SELECT count(*) FROM order_items WHERE sku NOT IN (SELECT sku FROM products)"
    )
    assert unknown == 0


def test_purchase_events_reference_real_orders(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, _ = small
    purchases = _scalar(wh, "SELECT count(*) FROM events WHERE event_type = 'purchase'")
    assert purchases > 0
    bad = _scalar(
        wh,
        """
        SELECT count(*) FROM events e LEFT JOIN orders o USING (order_id)
        WHERE e.event_type = 'purchase' AND (
            o.order_id IS NULL OR abs(e.revenue - (o.gross_amount - o.discount_amount)) > 0.005
            OR e.occurred_at <> o.ordered_at)
        """,
    )
    assert bad == 0
    funnel = dict(
        wh.duckdb.execute("SELECT event_type, count(*) FROM events GROUP BY 1").fetchall()
    )
    assert funnel["page_view"] > funnel["add_to_cart"] > funnel["begin_checkout"]
    assert funnel["product_view"] > funnel["add_to_cart"]
    assert funnel["begin_checkout"] > funnel["purchase"] > 0


def test_truth_records_bgnbd_and_gamma_gamma(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, _ = small
    rows = dict(
        wh.duckdb.execute("SELECT name, value FROM demo_truth WHERE domain = 'clv'").fetchall()
    )
    p = DemoParams()
    assert rows["bgnbd_r"] == p.bgnbd.r
    assert rows["bgnbd_alpha"] == p.bgnbd.alpha
    assert rows["bgnbd_a"] == p.bgnbd.a
    assert rows["bgnbd_b"] == p.bgnbd.b
    assert rows["gg_p"] == p.spend.p
    assert rows["gg_q"] == p.spend.q
    assert rows["gg_gamma"] == p.spend.gamma
    unit = _scalar(wh, "SELECT text FROM demo_truth WHERE name = 'time_unit'")
    assert unit == "day"
    depots = _scalar(wh, "SELECT count(*) FROM demo_truth WHERE name = 'depot_lat'")
    assert depots == 3


def test_mean_order_value_matches_gamma_gamma(small: tuple[Warehouse, DemoSummary]) -> None:
    """Realised mean order value is within sampling error (plus price-grid rounding)."""
    wh, _ = small
    mean = _scalar(
        wh,
        "SELECT avg(gross_amount) FROM orders WHERE status <> 'returned' "
        "AND customer_id IS NOT NULL",
    )
    truth = _scalar(wh, "SELECT value FROM demo_truth WHERE name = 'mean_order_value'")
    assert truth == pytest.approx(DemoParams().spend.mean_order_value)
    assert mean == pytest.approx(truth, rel=0.10)


def test_experiment_lift_recorded_and_applied(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, _ = small
    lift = _scalar(wh, "SELECT value FROM demo_truth WHERE domain = 'experiment' AND name = 'lift'")
    exp_id = _scalar(wh, "SELECT text FROM demo_truth WHERE name = 'experiment_id'")
    assert lift == pytest.approx(DemoParams().experiment.lift)
    arms = wh.duckdb.execute(
        f"""
        WITH exposed AS (
            SELECT anonymous_id, any_value(variant) AS variant FROM events
            WHERE event_type = 'experiment_exposure' AND experiment_id = '{exp_id}' GROUP BY 1),
        bought AS (SELECT DISTINCT anonymous_id FROM events
                   WHERE event_type = 'purchase' AND experiment_id = '{exp_id}')
        SELECT variant, count(*), count(b.anonymous_id)
        FROM exposed LEFT JOIN bought b USING (anonymous_id) GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    assert [a[0] for a in arms] == ["control", "treatment"]
    (_, n_c, x_c), (_, n_t, x_t) = arms
    # 50/50 allocation per user: no sample-ratio mismatch beyond 4 standard errors.
    assert abs(n_t - n_c) < 4 * math.sqrt(n_t + n_c)
    ratio = (x_t / n_t) / (x_c / n_c)
    se = math.sqrt((1 - x_t / n_t) / x_t + (1 - x_c / n_c) / x_c)
    assert abs(math.log(ratio) - math.log1p(lift)) < 4 * se
    one_variant = _scalar(
        wh,
        "SELECT count(*) FROM (SELECT anonymous_id FROM events WHERE variant IS NOT NULL "
        "GROUP BY 1 HAVING count(DISTINCT variant) > 1)",
    )
    assert one_variant == 0


def test_paid_acquisitions_follow_the_response_curves(
    small: tuple[Warehouse, DemoSummary],
) -> None:
    wh, _ = small
    rows = wh.duckdb.execute(
        """
        WITH daily AS (SELECT date, channel, sum(spend) AS spend FROM ad_spend GROUP BY 1, 2),
        curve AS (
            SELECT key AS channel,
                   max(CASE WHEN name = 'response_beta' THEN value END) AS beta,
                   max(CASE WHEN name = 'response_theta' THEN value END) AS theta
            FROM demo_truth WHERE domain = 'channels' GROUP BY 1),
        expected AS (
            SELECT d.channel, sum(c.beta * pow(d.spend, c.theta)) AS expected
            FROM daily d JOIN curve c USING (channel) GROUP BY 1),
        observed AS (
            SELECT acquisition_channel AS channel, count(*) AS observed FROM customers GROUP BY 1)
        SELECT channel, expected, observed FROM expected JOIN observed USING (channel)
        """
    ).fetchall()
    assert {r[0] for r in rows} == {"paid_search", "paid_social", "affiliate"}
    for channel, expected, observed in rows:
        assert abs(observed - expected) < 4 * math.sqrt(expected), channel


def test_support_tickets_in_both_languages(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, _ = small
    langs = dict(wh.duckdb.execute("SELECT language, count(*) FROM tickets GROUP BY 1").fetchall())
    assert set(langs) == {"en", "zh"}
    foreign = _scalar(
        wh,
        """
        SELECT count(*) FROM tickets t JOIN orders o USING (order_id)
        WHERE t.customer_id IS DISTINCT FROM o.customer_id
        """,
    )
    assert foreign == 0
    mentions = _scalar(
        wh, "SELECT count(*) FROM tickets WHERE order_id IS NOT NULL AND contains(text, order_id)"
    )
    assert mentions > 0.5 * _scalar(wh, "SELECT count(*) FROM tickets")
    unresolved = _scalar(
        wh,
        "SELECT count(*) FROM tickets WHERE (status IN ('resolved', 'closed')) "
        "<> (resolved_at IS NOT NULL)",
    )
    assert unresolved == 0


def test_inventory_has_stock_outs(small: tuple[Warehouse, DemoSummary]) -> None:
    wh, _ = small
    assert _scalar(wh, "SELECT count(DISTINCT location) FROM inventory") == 2
    assert _scalar(wh, "SELECT count(*) FROM inventory WHERE on_hand = 0") > 0
    assert _scalar(wh, "SELECT count(*) FROM inventory WHERE on_hand < 0") == 0


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("tiny", r"Invalid demo size 'tiny'.*'small', 'medium', 'large'.*>= 1000"),
        (999, r"Invalid demo size 999: too small.*>= 1000"),
        (-5, r"too small"),
        (True, r"Invalid demo size True"),
        (2.5, r"Invalid demo size 2.5 \(float\)"),
    ],
)
def test_invalid_size_is_rejected(size: Any, message: str) -> None:
    wh = connect("duckdb://:memory:")
    with pytest.raises(InvalidInputError, match=message):
        generate_demo(wh, size=size)
    wh.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seed": -1}, r"Invalid seed -1: use a non-negative integer"),
        ({"days": 10}, r"Invalid days 10: use an integer between 30 and 3660"),
        ({"end_date": "2026-01-01"}, r"Invalid end_date '2026-01-01'"),
    ],
)
def test_invalid_arguments_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    wh = connect("duckdb://:memory:")
    with pytest.raises(InvalidInputError, match=message):
        generate_demo(wh, size=2000, **kwargs)
    wh.close()


def test_progress_is_reported_per_chunk() -> None:
    calls: list[tuple[int, int]] = []
    wh = connect("duckdb://:memory:")
    summary = generate_demo(
        wh, size=3000, seed=1, end_date=END, days=180, progress=lambda d, t: calls.append((d, t))
    )
    assert calls
    assert all(t == 3000 for _, t in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done)
    # progress counts the lines drawn; the planted demand drop removes some of them afterwards
    assert summary.order_lines <= done[-1] <= 1.03 * summary.order_lines
    wh.close()


def test_regenerating_replaces_contents() -> None:
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=3000, seed=1, end_date=END, days=180)
    summary = generate_demo(wh, size=2000, seed=2, end_date=END, days=120)
    for name in DEMO_TABLES:
        assert _scalar(wh, f"SELECT count(*) FROM {name}") == summary.counts[name]
    wh.close()


def test_failure_rolls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=2000, seed=1, end_date=END, days=120)
    before = _checksums(wh)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(generator_module, "inventory_tables", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        generate_demo(wh, size=3000, seed=9, end_date=END, days=120)
    assert _checksums(wh) == before
    wh.close()


@pytest.mark.slow
def test_experiment_lift_recovered_on_a_larger_store() -> None:
    """With ~250k order lines the measured lift is within 3 standard errors of the truth."""
    wh = connect("duckdb://:memory:")
    generate_demo(wh, size=250_000, seed=5, end_date=END)
    arms = wh.duckdb.execute(
        """
        WITH exposed AS (SELECT anonymous_id, any_value(variant) AS variant FROM events
                         WHERE event_type = 'experiment_exposure' GROUP BY 1),
        bought AS (SELECT DISTINCT anonymous_id FROM events
                   WHERE event_type = 'purchase' AND experiment_id IS NOT NULL)
        SELECT variant, count(*), count(b.anonymous_id)
        FROM exposed LEFT JOIN bought b USING (anonymous_id) GROUP BY 1 ORDER BY 1
        """
    ).fetchall()
    (_, n_c, x_c), (_, n_t, x_t) = arms
    ratio = (x_t / n_t) / (x_c / n_c)
    se = math.sqrt((1 - x_t / n_t) / x_t + (1 - x_c / n_c) / x_c)
    assert abs(math.log(ratio) - math.log1p(DemoParams().experiment.lift)) < 3 * se
    wh.close()


def test_streaming_in_many_chunks_keeps_ids_unique_and_output_deterministic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    preset = SizePreset("custom", 4000, 60, chunk_customers=250, event_budget=20_000)
    monkeypatch.setattr(generator_module, "resolve_size", lambda size: preset)
    runs = []
    chunks: list[int] = []
    for _ in range(2):
        wh = connect("duckdb://:memory:")
        summary = generate_demo(
            wh, size=4000, seed=11, end_date=END, days=365, progress=lambda d, t: chunks.append(d)
        )
        runs.append(_checksums(wh))
        for name in DEMO_TABLES:
            keys = ", ".join(TABLES[name].primary_key)
            dupes = _scalar(wh, f"SELECT count(*) - count(DISTINCT ({keys})) FROM {name}")
            assert dupes == 0, name
        assert summary.counts["events"] <= 30_000
        wh.close()
    assert len(chunks) > 4
    assert runs[0] == runs[1]
