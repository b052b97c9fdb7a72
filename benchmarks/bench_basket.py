"""Basket rules at scale: shopscope's engine pipeline beside one hand-written DuckDB query.

Workload: the demo warehouse of about 10 million order lines that ``bench_report`` caches in
``benchmarks/results/cache/report-large.duckdb`` (generated on first use, a few minutes;
``BENCH_BASKET_SIZE=medium`` for the 1M-line store). Rules over all history with
``min_support = 0.0005`` (pairs in at least 0.05 % of orders and at least 2 orders),
``min_confidence = 0``, every rule returned.

Subjects
--------
shopscope-rules
    :func:`shopscope.supply.assortment.association_rules`: the Ibis pipeline (sale-order and
    goods definitions, Apriori pruning, pair self-join, both rule directions) run by DuckDB.
duckdb-one-query (the limit)
    One hand-written SQL statement over the same definitions, without pruning steps.

Both results are compared rule by rule. Target (issue 7): basket rules over 10M lines through
the engine (no row-level data leaves it); the ratio to the hand-written limit is printed.
"""

from __future__ import annotations

import os
import time

from benchmarks.bench_report import _lines, _warehouse
from benchmarks.runner import Measurement, print_table, save

MIN_SUPPORT = 0.0005

_SQL = """
WITH goods AS (
  SELECT i.order_id, i.sku, i.quantity, i.unit_price
  FROM order_items i LEFT JOIN products p ON i.sku = p.sku
  WHERE i.quantity > 0 AND (p.item_kind IS NULL OR p.item_kind IN ('product', 'gift_card'))
),
rev AS (
  SELECT i.order_id,
         sum(CASE WHEN (p.item_kind IS NULL OR p.item_kind IN ('product', 'gift_card'))
                   AND i.quantity > 0 THEN i.quantity * i.unit_price ELSE 0 END) AS revenue,
         sum(i.quantity * i.unit_price) AS line_total
  FROM order_items i LEFT JOIN products p ON i.sku = p.sku GROUP BY i.order_id
),
sale AS (
  SELECT o.order_id FROM orders o LEFT JOIN rev r ON o.order_id = r.order_id
  WHERE o.status NOT IN ('cancelled', 'returned', 'refunded')
    AND CASE WHEN o.gross_amount IS NULL THEN coalesce(r.line_total, 0) > 0
             ELSE o.gross_amount > 0 END
),
b AS (SELECT DISTINCT g.order_id, g.sku FROM goods g JOIN sale s ON g.order_id = s.order_id),
n AS (SELECT count(DISTINCT order_id)::DOUBLE AS n FROM b),
item AS (SELECT sku, count(*) AS c FROM b GROUP BY sku),
pair AS (
  SELECT x.sku AS a, y.sku AS c2, count(*) AS ab
  FROM b x JOIN b y ON x.order_id = y.order_id AND x.sku < y.sku
  GROUP BY 1, 2
  HAVING count(*) >= greatest(2, ceil({s} * (SELECT n FROM n) - 1e-9))
),
dirs AS (
  SELECT a AS antecedent, c2 AS consequent, ab FROM pair
  UNION ALL SELECT c2, a, ab FROM pair
)
SELECT d.antecedent, d.consequent, d.ab AS pair_orders,
       d.ab / (SELECT n FROM n) AS support,
       d.ab / ia.c::DOUBLE AS confidence,
       d.ab * (SELECT n FROM n) / (ia.c::DOUBLE * ib.c) AS lift
FROM dirs d JOIN item ia ON d.antecedent = ia.sku JOIN item ib ON d.consequent = ib.sku
"""


def main() -> None:
    import duckdb

    from shopscope.supply.assortment import association_rules
    from shopscope.warehouse.connection import connect

    size = os.environ.get("BENCH_BASKET_SIZE", "large")
    db = _warehouse(size)
    lines = _lines(db)
    workload = f"demo-{size}-{lines}"
    rows: list[Measurement] = []

    wh = connect(f"duckdb:///{db}", read_only=True)
    best, ours = float("inf"), None
    for _ in range(2):
        t0 = time.perf_counter()
        ours = association_rules(wh, min_support=MIN_SUPPORT, min_confidence=0.0, limit=None)
        best = min(best, time.perf_counter() - t0)
    wh.close()
    assert ours is not None
    rows.append(Measurement("basket", workload, "shopscope-rules", best, lines, "lines"))

    con = duckdb.connect(str(db), read_only=True)
    best_sql, ref = float("inf"), None
    for _ in range(2):
        t0 = time.perf_counter()
        ref = con.execute(_SQL.format(s=MIN_SUPPORT)).to_arrow_table()
        best_sql = min(best_sql, time.perf_counter() - t0)
    con.close()
    assert ref is not None
    rows.append(Measurement("basket", workload, "duckdb-one-query", best_sql, lines, "lines"))

    got = {(r["antecedent"], r["consequent"]): r for r in ours.rules.to_pylist()}
    want = {(r["antecedent"], r["consequent"]): r for r in ref.to_pylist()}
    same_keys = got.keys() == want.keys()
    worst = max(
        (abs(got[k]["lift"] - want[k]["lift"]) / want[k]["lift"] for k in want if k in got),
        default=0.0,
    )
    print(
        f"{workload}: {ours.orders:,} orders, {len(got):,} rules (min count {ours.min_count}); "
        f"same rules as the hand-written query: {same_keys}, max relative lift difference "
        f"{worst:.1e}"
    )
    print_table(rows, "duckdb-one-query", target="basket rules over 10M lines in the engine")
    extra = {"orders": ours.orders, "rules": len(got), "same_rules": same_keys}
    print(f"results: {save('basket', rows, extra)}")


if __name__ == "__main__":
    main()
