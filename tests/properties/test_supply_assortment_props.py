"""Basket properties: engine pair counts equal a brute-force count; rule metrics consistent."""

from __future__ import annotations

import itertools
from collections import Counter

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shopscope.supply.assortment.basket import pair_counts, rule_table

__all__: list[str] = []

_con = ibis.duckdb.connect()

baskets_st = st.lists(
    st.sets(st.sampled_from("ABCDEFG"), min_size=1, max_size=5), min_size=1, max_size=40
)


def _table(baskets: list[set[str]]) -> ibis.Table:
    rows = [{"order_id": f"o{i}", "sku": s} for i, b in enumerate(baskets) for s in sorted(b)]
    schema = pa.schema([("order_id", pa.string()), ("sku", pa.string())])
    return ibis.memtable(pa.Table.from_pylist(rows, schema=schema))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets_st, st.integers(1, 4))
def test_pair_counts_equal_brute_force(baskets, min_count):
    got = {
        (r["sku_a"], r["sku_b"]): r["pair_orders"] if r["orders"] == len(baskets) else -1
        for r in _con.to_pyarrow(pair_counts(_table(baskets), min_count=min_count)).to_pylist()
    }
    brute = Counter(p for b in baskets for p in itertools.combinations(sorted(b), 2))
    assert got == {p: c for p, c in brute.items() if c >= min_count}


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(baskets_st)
def test_rule_metrics_are_consistent(baskets):
    n = len(baskets)
    rules = _con.to_pyarrow(rule_table(_table(baskets))).to_pylist()
    support = Counter(s for b in baskets for s in b)
    by_pair = {(r["antecedent"], r["consequent"]): r for r in rules}
    for (a, b), r in by_pair.items():
        # confidence = support(AB) / support(A); lift = confidence / support(B)
        assert r["confidence"] == pytest.approx(r["support"] / (support[a] / n))
        assert r["lift"] == pytest.approx(r["confidence"] / (support[b] / n))
        assert r["support"] <= min(support[a], support[b]) / n + 1e-12
        assert 0 < r["confidence"] <= 1 and r["orders"] == n
        reverse = by_pair[(b, a)]  # both directions present, symmetric support and lift
        assert reverse["support"] == pytest.approx(r["support"])
        assert reverse["lift"] == pytest.approx(r["lift"])
