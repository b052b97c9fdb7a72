"""Attribution speed: path building in the engine beside pandas; every model; Shapley growth.

Workload: a synthetic events table of ``BENCH_ATTRIBUTION_TOUCHES`` sessions (default 10
million; one landing page view each, UTM tags of 8 channels, 1 million devices of which 60%
log in when they buy, 3% of sessions end in a purchase) spread over 28 days, written once to a
DuckDB file under ``benchmarks/results/cache``. A session is a touchpoint and every session
falls inside the 30-day lookback, so the paths hold ~10M touches.

Subjects:

shopscope-paths
    :func:`~shopscope.acquisition.paths.touchpoints` (landing channel per session, user
    stitching, segments between conversions, 30-day lookback, 50-touch cap) executed into a
    temporary table by DuckDB.
pandas-paths (the peer)
    The same paths in pandas: the event columns loaded into a DataFrame, sessions and their
    landing tags, the same rule table applied to the distinct tag combinations, stitching,
    the merged stream with a running conversion count, lookback, cap and positions.

Then, on the engine's paths: each rule-based model, Markov order 1 and 2 (transition counts in
the engine + the chain in SciPy), Shapley (coalitions in the engine + exact values), and
Shapley alone on synthetic coalition tables of 4..30 channels (exact up to 15, sampled with
2,000 channel orders beyond) to show its growth. Target (issue 6): paths >= 10x faster than
pandas.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from benchmarks.runner import Measurement, print_table, save

CACHE = Path(__file__).resolve().parent / "results" / "cache"
TOUCHES = int(os.environ.get("BENCH_ATTRIBUTION_TOUCHES", "10000000"))

_CHANNELS = (
    ("google", "cpc", "www.google.com"),
    ("facebook", "paid_social", "m.facebook.com"),
    ("newsletter", "email", None),
    ("google", "organic", "www.google.com"),
    ("awin", "affiliate", "www.awin1.com"),
    (None, None, None),
    ("giftguide.co.uk", "referral", "giftguide.co.uk"),
    ("bing", "organic", "www.bing.com"),
)


def _sql_list(values: list[str | None]) -> str:
    return "[" + ", ".join("NULL" if v is None else f"'{v}'" for v in values) + "]"


def _warehouse(n: int) -> Path:
    from shopscope.warehouse.connection import connect

    CACHE.mkdir(parents=True, exist_ok=True)
    db = CACHE / f"attribution-28d-{n}.duckdb"
    if db.exists():
        return db
    wh = connect(f"duckdb:///{db}")
    src = _sql_list([c[0] for c in _CHANNELS])
    med = _sql_list([c[1] for c in _CHANNELS])
    ref = _sql_list([c[2] for c in _CHANNELS])
    wh.duckdb.execute(f"""
        INSERT INTO events
        WITH s AS (
          SELECT i, hash(i) % 1000000 AS u,
                 TIMESTAMP '2025-07-01' + to_microseconds(
                   CAST(hash(i * 7 + 1) % 2419200000000 AS BIGINT)) AS ts,
                 CAST(hash(i * 13 + 5) % 8 AS INTEGER) + 1 AS ch,
                 hash(i * 17 + 3) % 1000 < 30 AS buys
          FROM range({n}) t(i))
        SELECT 'E' || i, ts, 'A' || u, NULL, 'S' || i, 'page_view', NULL, NULL, NULL,
               {src}[ch], {med}[ch], NULL, {ref}[ch], 'desktop', NULL, NULL, NULL
        FROM s
        UNION ALL
        SELECT 'P' || i, ts + INTERVAL 5 MINUTE, 'A' || u,
               CASE WHEN u % 10 < 6 THEN 'C' || u END, 'S' || i, 'purchase', NULL, 'O' || i,
               20.0 + (hash(i) % 8000) / 100.0, {src}[ch], {med}[ch], NULL, {ref}[ch],
               'desktop', NULL, NULL, NULL
        FROM s WHERE buys
    """)
    wh.close()
    return db


def pandas_paths(con: object, lookback_days: float = 30.0, cap: int = 50) -> object:
    """The touchpoint paths in plain pandas (the peer)."""
    import pandas as pd

    from shopscope.acquisition.channels import classify, load_channel_rules

    rules = load_channel_rules()
    ev = con.execute(  # type: ignore[attr-defined]
        "SELECT event_id, occurred_at, anonymous_id, customer_id, session_id, event_type, "
        "order_id, revenue, utm_source, utm_medium, utm_campaign, referrer FROM events"
    ).df()
    ev["sid"] = ev.session_id.fillna(ev.event_id)
    ev = ev.sort_values(["sid", "occurred_at"], kind="stable")
    tags = ["utm_source", "utm_medium", "utm_campaign", "referrer"]
    land = ev.drop_duplicates("sid")[["sid", "occurred_at", *tags]]
    combos = land[tags].drop_duplicates()
    combos["channel"] = [
        classify(rules, source=a, medium=b, campaign=c, referrer=d)
        for a, b, c, d in combos.itertuples(index=False)
    ]
    land = land.merge(combos, on=tags, how="left")
    sids = pd.Index(land.sid.unique())
    who = pd.DataFrame(
        {
            col: ev.dropna(subset=[src]).groupby("sid")[src].max().reindex(sids)
            for col, src in (("customer", "customer_id"), ("anon", "anonymous_id"))
        }
    )
    known = ev.dropna(subset=["customer_id", "anonymous_id"])
    stitch = known.groupby("anonymous_id").customer_id.max()
    who["user"] = who.customer.fillna(who.anon.map(stitch)).fillna("anon:" + who.anon)
    land["user"] = land.sid.map(who.user)
    buys = ev[ev.event_type == "purchase"].copy()
    buys["cid"] = buys.order_id.fillna(buys.event_id)
    conv = buys.groupby("cid").agg(ts=("occurred_at", "min"), value=("revenue", "sum"),
                                   sid=("sid", "min"))  # fmt: skip
    conv["user"] = conv.sid.map(who.user)
    stream = pd.concat(
        [
            pd.DataFrame({"user": land.user, "ts": land.occurred_at, "kind": 0,
                          "channel": land.channel, "cid": None, "value": np.nan}),
            pd.DataFrame({"user": conv.user, "ts": conv.ts, "kind": 1, "channel": None,
                          "cid": conv.index, "value": conv.value}),
        ],
        ignore_index=True,
    )  # fmt: skip
    stream = stream.sort_values(["user", "ts", "kind"], kind="stable")
    stream["segment"] = stream.groupby("user").kind.cumsum() - stream.kind
    g = stream.groupby(["user", "segment"])
    stream["conv_at"] = stream.ts.where(stream.kind == 1).groupby([stream.user, stream.segment]
                                                                  ).transform("max")  # fmt: skip
    stream["last_touch"] = (
        stream.ts.where(stream.kind == 0).groupby([stream.user, stream.segment]).transform("max")
    )
    stream["cid"] = g.cid.transform("first")
    t = stream[stream.kind == 0].copy()
    end = t.conv_at.fillna(t.last_touch)
    t["days_before"] = (end - t.ts).dt.total_seconds() / 86400.0
    t = t[t.days_before <= lookback_days]
    t["from_end"] = t.groupby(["user", "segment"]).cumcount(ascending=False)
    t = t[t.from_end < cap]
    t["position"] = t.groupby(["user", "segment"]).cumcount() + 1
    t["n_touches"] = t.groupby(["user", "segment"]).position.transform("size")
    return t


def _time(fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    from shopscope.acquisition.attribution import (
        HEURISTIC_MODELS,
        MarkovAttribution,
        coalitions,
        heuristic_credits,
        shapley_values,
        transitions,
    )
    from shopscope.acquisition.paths import materialised, touchpoints
    from shopscope.warehouse.connection import connect

    db = _warehouse(TOUCHES)
    wh = connect(f"duckdb:///{db}", read_only=True)
    work = f"{TOUCHES / 1e6:g}M sessions"
    rows: list[Measurement] = []
    touches = 0

    start = time.perf_counter()
    with materialised(wh, touchpoints(wh)) as tp:
        engine_s = time.perf_counter() - start
        touches = int(tp.count().to_pyarrow().as_py())
        rows.append(Measurement("attribution", work, "shopscope-paths", engine_s, touches))
        models: dict[str, float] = {}
        for m in HEURISTIC_MODELS:
            models[m] = _time(lambda m=m: heuristic_credits(tp, m).to_pyarrow())
        for order in (1, 2):
            models[f"markov{order}"] = _time(
                lambda order=order: MarkovAttribution(order).fit(transitions(tp, order=order))
            )
        channels = tuple(
            str(c) for c in tp.select("channel").distinct().to_pyarrow().column(0).to_pylist()
        )

        def _shap() -> None:
            data = coalitions(tp, channels).to_pyarrow()
            shapley_values(data.column("mask").to_numpy(), data.column("conversions").to_numpy(),
                           len(channels))  # fmt: skip

        models["shapley"] = _time(_shap)
    for name, seconds in models.items():
        rows.append(Measurement("attribution", work, f"model {name}", seconds, touches))

    start = time.perf_counter()
    peer = pandas_paths(wh.duckdb)
    pandas_s = time.perf_counter() - start
    same = len(peer) == touches  # type: ignore[arg-type]
    print(f"pandas paths hold {len(peer):,} touches, the engine's {touches:,}: "  # type: ignore[arg-type]
          f"{'same' if same else 'DIFFERENT'}")  # fmt: skip
    del peer
    rows.append(Measurement("attribution", work, "pandas-paths", pandas_s, touches))
    print_table(rows, "pandas-paths", target="paths >= 10x faster than pandas")
    print(f"\npaths: shopscope {engine_s:.1f} s vs pandas {pandas_s:.1f} s = "
          f"{pandas_s / engine_s:.1f}x; all models after the paths: "
          f"{sum(models.values()):.1f} s")  # fmt: skip

    growth: list[Measurement] = []
    rng = np.random.default_rng(0)
    for n in (4, 8, 12, 15, 20, 30):
        masks = rng.integers(1, 2**n, 5000)
        w = rng.integers(0, 5, 5000).astype(float)
        seconds = _time(lambda n=n, masks=masks, w=w: shapley_values(masks, w, n, samples=2000))
        label = "exact" if n <= 15 else "sampled 2000"
        growth.append(Measurement("shapley", f"{n} channels", label, seconds, 5000, "coalitions"))
    print("\nShapley time by number of channels (5,000 distinct coalitions)")
    for m in growth:
        print(f"{m.workload:<14}{m.subject:<16}{m.seconds:>10.3f} s")
    save("attribution", rows + growth, {"touches": touches, "sessions": TOUCHES})


if __name__ == "__main__":
    main()
