"""RFM speed: shopscope's RFM scores through the engine beside pandas and one SQL statement.

Workload: the report benchmark's cached 10-million-line demo store
(``benchmarks/results/cache/report-large.duckdb``, seed 11, built on first use; about 1.5
million customers). ``BENCH_RFM_SIZE`` picks another preset (e.g. ``medium``).

Subjects (each in a fresh subprocess, timing the computation to an Arrow/pandas result):

shopscope-rfm
    ``rfm_scores(wh, bins=5)``: goods revenue per sale order, per-customer recency, frequency
    and monetary, quantile scores with the minimum-rank rule, segment from the rule table.
pandas-rfm
    The same numbers in pandas: the needed columns loaded, merged, grouped and ranked
    (``rank(method="min")``). Its scores are checked against shopscope's (mismatches printed).
duckdb-one-query (the limit)
    One hand-written SQL statement computing the same measures and scores.

Target (issue 4): RFM for 1M customers from 10M order lines through the engine (no peer
target; the ratios show where it stands).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.runner import Measurement, print_table, save

_CHILD = r"""
import json, sys, time
subject, db = sys.argv[1], sys.argv[2]
import numpy as np, pandas as pd
from shopscope.warehouse.connection import connect
wh = connect(f"duckdb:///{db}", read_only=True)
con = wh.duckdb
last = con.execute("SELECT max(ordered_at) FROM orders").fetchone()[0]
as_of = (last + pd.Timedelta(days=1)).date()
t0 = time.perf_counter()
if subject == "shopscope-rfm":
    from shopscope.retention.rfm import rfm_scores
    out = rfm_scores(wh, as_of=as_of, bins=5)
    scores = {c: out.column(c).to_numpy() for c in ("r_score", "f_score", "m_score")}
    ids = out.column("customer_id").to_pylist()
elif subject == "pandas-rfm":
    items = con.execute("SELECT order_id, sku, quantity, unit_price FROM order_items").df()
    products = con.execute("SELECT sku, item_kind FROM products").df()
    orders = con.execute(
        "SELECT order_id, customer_id, ordered_at, status, gross_amount FROM orders").df()
    lines = items.merge(products, on="sku", how="left")
    goods = lines.item_kind.isna() | lines.item_kind.isin(["product", "gift_card"])
    amount = lines.quantity * lines.unit_price
    lines["revenue"] = np.where(goods & (lines.quantity > 0), amount, 0.0)  # NaN-free
    lines["amount"] = amount
    per_order = lines.groupby("order_id").agg(revenue=("revenue", "sum"),
                                              line_total=("amount", "sum"))
    o = orders.merge(per_order, on="order_id", how="left")
    positive = np.where(o.gross_amount.isna(), o.line_total.fillna(0) > 0, o.gross_amount > 0)
    sale = o[~o.status.isin(["cancelled", "returned", "refunded"]) & positive
             & o.customer_id.notna() & (o.ordered_at < pd.Timestamp(as_of))]
    sale = sale.assign(revenue=sale.revenue.fillna(0.0))
    per = sale.groupby("customer_id").agg(last=("ordered_at", "max"),
                                          frequency=("order_id", "nunique"),
                                          monetary=("revenue", "sum"))
    per["monetary"] = per.monetary.round(2)
    per["recency_days"] = (pd.Timestamp(as_of) - per["last"].dt.normalize()).dt.days
    n = len(per)
    def score(values, ascending):
        rank = values.rank(method="min", ascending=ascending) - 1
        return (np.floor(rank * 5 / n) + 1).astype(int)
    per["r_score"] = score(per.recency_days, False)
    per["f_score"] = score(per.frequency, True)
    per["m_score"] = score(per.monetary, True)
    per = per.sort_index()
    scores = {c: per[c].to_numpy() for c in ("r_score", "f_score", "m_score")}
    ids = per.index.tolist()
elif subject == "duckdb-one-query":
    res = con.execute(f'''
    WITH rev AS (
      SELECT i.order_id,
             sum(CASE WHEN (p.item_kind IS NULL OR p.item_kind IN ('product','gift_card'))
                      AND i.quantity > 0 THEN i.quantity * i.unit_price ELSE 0 END) AS revenue,
             sum(i.quantity * i.unit_price) AS line_total
      FROM order_items i LEFT JOIN products p USING (sku) GROUP BY i.order_id),
    per AS (
      SELECT o.customer_id, max(o.ordered_at)::DATE AS last_day, count(DISTINCT o.order_id) AS f,
             round(sum(coalesce(r.revenue, 0)), 2) AS m
      FROM orders o LEFT JOIN rev r USING (order_id)
      WHERE o.customer_id IS NOT NULL AND o.ordered_at < DATE '{as_of}'
        AND o.status NOT IN ('cancelled','returned','refunded')
        AND CASE WHEN o.gross_amount IS NULL THEN coalesce(r.line_total, 0) > 0
                 ELSE o.gross_amount > 0 END
      GROUP BY o.customer_id)
    SELECT customer_id,
      floor((rank() OVER (ORDER BY DATE '{as_of}' - last_day DESC) - 1) * 5 / count(*) OVER ()) + 1,
      floor((rank() OVER (ORDER BY f) - 1) * 5 / count(*) OVER ()) + 1,
      floor((rank() OVER (ORDER BY m) - 1) * 5 / count(*) OVER ()) + 1
    FROM per ORDER BY customer_id''').fetchnumpy()
    ids = list(res["customer_id"])
    keys = [k for k in res if k != "customer_id"]
    scores = {"r_score": res[keys[0]], "f_score": res[keys[1]], "m_score": res[keys[2]]}
else:
    raise SystemExit(f"unknown subject {subject}")
seconds = time.perf_counter() - t0
digest = {c: [int(v) for v in np.bincount(np.asarray(s, dtype=np.int64), minlength=6)]
          for c, s in scores.items()}
np.save(f"{db}.{subject}.npy", np.column_stack([np.asarray(scores[c], dtype=np.int64)
        for c in ("r_score", "f_score", "m_score")]))
print(json.dumps({"seconds": seconds, "customers": len(ids), "score_counts": digest}))
"""


def _run(subject: str, db: Path) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, subject, str(db)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "OPENBLAS_NUM_THREADS": "1"},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{subject} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    import numpy as np

    from benchmarks.bench_report import _lines, _warehouse

    size = os.environ.get("BENCH_RFM_SIZE", "large")
    db = _warehouse(size)
    lines = _lines(db)
    rows: list[Measurement] = []
    extra: dict[str, object] = {}
    for subject in ("duckdb-one-query", "shopscope-rfm", "pandas-rfm"):
        r = _run(subject, db)
        customers = int(r["customers"])  # type: ignore[call-overload]
        rows.append(
            Measurement("rfm", f"demo-{size}-{lines}-lines", subject, float(r["seconds"]),  # type: ignore[arg-type]
                        customers, "customers")
        )  # fmt: skip
        extra[subject] = r
    ours = np.load(f"{db}.shopscope-rfm.npy")
    for peer in ("pandas-rfm", "duckdb-one-query"):
        theirs = np.load(f"{db}.{peer}.npy")
        same = ours.shape == theirs.shape and bool(np.all(ours == theirs))
        extra[f"scores_equal_{peer}"] = same
        print(f"scores identical to {peer}: {same}")
    print_table(rows, "pandas-rfm", target="RFM for ~1M customers from 10M lines in the engine")
    print_table(rows, "duckdb-one-query")
    print(f"results: {save('rfm', rows, extra)}")


if __name__ == "__main__":
    main()
