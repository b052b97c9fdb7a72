"""The Udacity/Kaggle landing-page A/B test (``ab-test-landing-page``): shopscope's cleaning
and test against an independent pandas + statsmodels computation and the SOURCE.md figures."""

from __future__ import annotations

import zipfile

import pandas as pd
import pyarrow as pa
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from shopscope.conversion.experiments.tables import analyze_table
from shopscope.warehouse.connection import connect

pytestmark = pytest.mark.shared_data

SHOWN = {"control": "old_page", "treatment": "new_page"}


@pytest.fixture(scope="module")
def ab(shared_data):
    path = shared_data / "ab-test-landing-page" / "ab_data.csv.zip"
    with zipfile.ZipFile(path) as z:
        return pd.read_csv(z.open("ab_data.csv"), parse_dates=["timestamp"])


@pytest.fixture(scope="module")
def result(ab):
    wh = connect("duckdb://:memory:")
    wh.duckdb.register("ab_in", pa.Table.from_pandas(ab, preserve_index=False))
    wh.duckdb.execute("CREATE TABLE ab AS SELECT * FROM ab_in")
    out = analyze_table(
        wh.ibis.table("ab"), experiment_id="landing_page", unit="user_id", variant="group",
        metrics={"converted": "binary"}, at="timestamp", shown="landing_page", shown_map=SHOWN,
    )  # fmt: skip
    wh.close()
    return out


def test_cleaning_matches_source_md(result):
    """SOURCE.md: 294,478 rows, 3,893 mismatched, then 1 duplicate user; 290,584 remain."""
    cleaning, analysis = result
    assert cleaning.rows == 294_478
    assert cleaning.mismatched_rows == 3_893
    assert cleaning.duplicate_rows == 1
    assert cleaning.multi_variant_units == 0
    assert sum(cleaning.units.values()) == 290_584
    assert any("3,893 rows dropped" in n for n in analysis.notes)
    assert any("1 duplicate rows" in n for n in analysis.notes)


def test_rates_match_source_md(result):
    """SOURCE.md: control 0.120386, treatment 0.118808 after cleaning (6 decimals)."""
    r = result[1].results[0].frequentist
    assert r.control_mean == pytest.approx(0.120386, abs=5e-7)
    assert r.treatment_mean == pytest.approx(0.118808, abs=5e-7)


def test_equals_independent_statsmodels(ab, result):
    """Same cleaning rule in pandas (drop mismatches, keep the first row of a user by time),
    then statsmodels' two-proportion z-test and Wald interval: equal to 1e-9."""
    shown = ab["group"].map(SHOWN)
    clean = ab[shown == ab["landing_page"]]
    clean = clean.sort_values(["timestamp", "converted"]).drop_duplicates("user_id", keep="first")
    g = clean.groupby("group")["converted"].agg(["sum", "count"])
    xt, nt = g.loc["treatment"]
    xc, nc = g.loc["control"]
    z, p = proportions_ztest([xt, xc], [nt, nc])
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff")
    r = result[1].results[0].frequentist
    assert r.statistic == pytest.approx(z, abs=1e-9)
    assert r.p_value == pytest.approx(p, abs=1e-9)
    assert r.diff_ci == pytest.approx((lo, hi), abs=1e-9)
    # the course's conclusion: no significant difference (two-sided p ~ 0.19), SRM fine
    analysis = result[1]
    assert analysis.decision.verdict == "inconclusive"
    assert not analysis.srm.mismatch
