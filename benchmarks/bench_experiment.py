"""Experiment analysis speed: shopscope end to end beside pandas and the bare aggregation.

Workload: one experiment with ``BENCH_EXPERIMENT_USERS`` exposed users (default 10 million)
in a DuckDB warehouse: one exposure event per user (plus 10 % repeated exposures), purchases
after exposure for about 12 % of users (some with two), pre-exposure purchases for 5 %.
Three metrics: conversion (binary), revenue per user (continuous), average order value (ratio).

Subjects (same process, best of ``BENCH_EXPERIMENT_REPEATS``, default 2):

shopscope-analyze
    ``analyze_experiment(wh, id, metrics=("conversion", "revenue", "aov"))``: exposure dedup,
    post/pre-exposure per-user values and per-arm sufficient statistics in one engine query,
    then every test (frequentist, CUPED, mSPRT, Bayesian, SRM, Holm, decision).
duckdb-sufficient-stats (the limit)
    One hand-written SQL statement computing the same per-arm sums, nothing else, with the
    same plan (users without a purchase are counted, not joined).
pandas-row-level
    What a user would write: load the exposure and purchase rows into pandas, first exposure
    per user, merge, per-user metrics, then scipy/statsmodels tests on the rows.

Targets (issue 5): >= 20x faster than pandas; within 1.5x of the bare aggregation.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from benchmarks.runner import Measurement, best_of, print_table, save

CACHE = Path(__file__).resolve().parent / "results" / "cache"
EXP = "bench_exp"

_LIMIT_SQL = f"""
WITH units AS (
  SELECT anonymous_id AS uid, min(occurred_at) AS first_at,
         CASE WHEN min(variant) = max(variant) THEN min(variant) END AS variant
  FROM events WHERE experiment_id = '{EXP}' AND variant IS NOT NULL
    AND anonymous_id IS NOT NULL GROUP BY 1),
per AS (  -- only users with a purchase: everyone else contributes zeros to the sums
  SELECT u.uid, any_value(u.variant) AS variant,
    count(*) FILTER (WHERE e.occurred_at >= u.first_at) AS orders,
    coalesce(sum(e.revenue) FILTER (WHERE e.occurred_at >= u.first_at), 0) AS rev,
    count(*) FILTER (WHERE e.occurred_at < u.first_at
                     AND e.occurred_at >= u.first_at - INTERVAL 28 DAY) AS pre_orders,
    coalesce(sum(e.revenue) FILTER (WHERE e.occurred_at < u.first_at
                     AND e.occurred_at >= u.first_at - INTERVAL 28 DAY), 0) AS pre_rev
  FROM units u JOIN events e ON e.anonymous_id = u.uid AND e.event_type = 'purchase'
  GROUP BY 1),
sums AS (
  SELECT variant,
    sum((orders > 0)::DOUBLE) AS c, sum((pre_orders > 0)::DOUBLE) AS pc,
    sum((orders > 0 AND pre_orders > 0)::DOUBLE) AS cpc,
    sum(rev) AS r, sum(rev * rev) AS rr, sum(pre_rev) AS pr, sum(pre_rev * pre_rev) AS prr,
    sum(rev * pre_rev) AS rpr, sum(orders) AS o, sum(orders * orders) AS oo,
    sum(rev * orders) AS ro
  FROM per GROUP BY 1)
SELECT variant, n, sums.* EXCLUDE (variant)
FROM (SELECT variant, count(*) AS n FROM units GROUP BY 1) LEFT JOIN sums USING (variant)
"""


def _warehouse(users: int) -> Path:
    from shopscope.warehouse.connection import connect

    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / f"experiment-{users}.duckdb"
    if db.exists():
        return db
    wh = connect(f"duckdb:///{db}")
    con = wh.duckdb
    base = "TIMESTAMP '2026-05-01'"
    cols = (
        "(event_id, occurred_at, anonymous_id, session_id, event_type, revenue, experiment_id, "
        "variant)"
    )
    # one exposure per user, 10 % see it twice; arm by hash (50/50)
    con.execute(f"""
    INSERT INTO events {cols}
    SELECT 'X' || i, {base} + to_seconds((i * 7919) % (28 * 86400)), 'U' || (i % {users}),
           'S' || (i % {users}), 'experiment_exposure', NULL, '{EXP}',
           CASE WHEN hash(i % {users}) % 2 = 0 THEN 'control' ELSE 'treatment' END
    FROM range({int(users * 1.1)}) t(i)""")
    # purchases: ~12 % of users after exposure (treatment +5 %), some twice; 5 % before
    con.execute(f"""
    INSERT INTO events {cols}
    SELECT 'P' || k || '-' || u, {base} + to_seconds((u * 7919) % (28 * 86400) + 600 + k * 3600),
           'U' || u, 'S' || u, 'purchase', 20 + (hash(u, k) % 6000) / 100.0, NULL, NULL
    FROM range({users}) t(u), range(2) s(k)
    WHERE (hash(u, 'buy') % 10000) < CASE WHEN hash(u) % 2 = 0 THEN 1200 ELSE 1260 END
      AND (k = 0 OR hash(u, 'again') % 4 = 0)""")
    con.execute(f"""
    INSERT INTO events {cols}
    SELECT 'B' || u, {base} - INTERVAL 3 DAY, 'U' || u, 'S' || u, 'purchase',
           15 + (hash(u, 'pre') % 5000) / 100.0, NULL, NULL
    FROM range({users}) t(u) WHERE hash(u, 'pre') % 100 < 5""")
    wh.close()
    return db


def _shopscope(wh: object) -> None:
    from shopscope.conversion.experiments.analysis import analyze_experiment

    analyze_experiment(wh, EXP, metrics=("conversion", "revenue", "aov"))  # type: ignore[arg-type]


def _limit(wh: object) -> None:
    wh.duckdb.execute(_LIMIT_SQL).fetchall()  # type: ignore[attr-defined]


def _pandas(wh: object) -> None:
    import numpy as np
    from scipy import stats as st
    from statsmodels.stats.proportion import proportions_ztest

    con = wh.duckdb  # type: ignore[attr-defined]
    ex = con.execute(
        "SELECT anonymous_id, occurred_at, variant FROM events "
        f"WHERE experiment_id = '{EXP}' AND variant IS NOT NULL"
    ).df()
    pur = con.execute(
        "SELECT anonymous_id, occurred_at, revenue FROM events WHERE event_type = 'purchase'"
    ).df()
    first = (
        ex.sort_values("occurred_at")
        .groupby("anonymous_id")
        .agg(
            first_at=("occurred_at", "first"),
            variant=("variant", "first"),
            nv=("variant", "nunique"),
        )
    )
    first = first[first.nv == 1]
    m = pur.merge(first, left_on="anonymous_id", right_index=True)
    post = m[m.occurred_at >= m.first_at]
    pre = m[(m.occurred_at < m.first_at) & (m.occurred_at >= m.first_at - np.timedelta64(28, "D"))]
    per = post.groupby("anonymous_id").agg(rev=("revenue", "sum"), orders=("revenue", "size"))
    pre_per = pre.groupby("anonymous_id").agg(pre_rev=("revenue", "sum"))
    users = first.join(per).join(pre_per).fillna({"rev": 0.0, "orders": 0, "pre_rev": 0.0})
    users["conv"] = (users.orders > 0).astype(float)
    c, t = users[users.variant == "control"], users[users.variant == "treatment"]
    proportions_ztest([t.conv.sum(), c.conv.sum()], [len(t), len(c)])
    st.ttest_ind(t.rev, c.rev, equal_var=False)
    theta = np.cov(users.rev, users.pre_rev)[0, 1] / users.pre_rev.var()
    adj = users.rev - theta * (users.pre_rev - users.pre_rev.mean())
    st.ttest_ind(adj[t.index], adj[c.index], equal_var=False)
    for g in (c, t):  # AOV by the delta method
        r = g.rev.sum() / g.orders.sum()
        ((g.rev - r * g.orders) / g.orders.mean()).var()


def main() -> None:
    from shopscope.warehouse.connection import connect

    users = int(os.environ.get("BENCH_EXPERIMENT_USERS", "10000000"))
    repeats = int(os.environ.get("BENCH_EXPERIMENT_REPEATS", "2"))
    t0 = time.perf_counter()
    db = _warehouse(users)
    print(f"warehouse ready in {time.perf_counter() - t0:.0f} s: {db}")
    wh = connect(f"duckdb:///{db}", read_only=True)
    workload = f"exposed-{users:,}"
    rows: list[Measurement] = []
    for subject, fn in (
        ("duckdb-sufficient-stats", _limit),
        ("shopscope-analyze", _shopscope),
        ("pandas-row-level", _pandas),
    ):
        best, times = best_of(1 if subject == "pandas-row-level" else repeats, lambda f=fn: f(wh))
        print(f"{subject}: {', '.join(f'{x:.2f}' for x in times)} s")
        rows.append(Measurement("experiment", workload, subject, best, users, "users"))
    wh.close()
    print_table(rows, "duckdb-sufficient-stats", target="shopscope within 1.5x of the limit")
    print_table(rows, "pandas-row-level", target="shopscope >= 20x pandas")
    print(f"results: {save('experiment', rows)}")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - t:.0f} s")
