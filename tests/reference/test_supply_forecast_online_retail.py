"""Forecast accuracy on real data: Online Retail (UCI id 352) daily demand per SKU.

Rolling-origin hold-out: the last two 28-day windows (origins 2011-10-15 and 2011-11-12); for
each, shopscope's whole pipeline (inner backtest, per-series selection) fits on the history
before the origin. Scores are pooled over both windows, on the 200 SKUs with most units.
Seasonal naive is the benchmark to beat; statsforecast's AutoETS (season 7) is fitted to the 20
largest series on the same imputed history, and shopscope is reported beside it there. The
figures are written to the test log and quoted in ``docs/methods/forecasting.md``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopscope.supply.forecast import ForecastConfig, demand_panel
from shopscope.supply.forecast.evaluation import Evaluation, evaluate
from shopscope.warehouse.connection import connect
from shopscope.warehouse.ingest import ingest_file
from shopscope.warehouse.sources.online_retail import OnlineRetail

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def evaluation(shared_data: Path) -> Evaluation:
    wh = connect("duckdb://:memory:")
    ingest_file(wh, shared_data / "online-retail" / "online_retail.csv.gz", OnlineRetail())
    panel = demand_panel(wh, level="sku", grain="day", top=200)
    wh.close()
    assert panel.periods == 374  # 2010-12-01 .. 2011-12-09
    return evaluate(
        panel, ForecastConfig(heavy_series=0), origins=2, peers=("AutoETS",), peer_series=20
    )


def test_selected_models_beat_seasonal_naive(evaluation):
    ours, naive = evaluation.get("shopscope"), evaluation.get("seasonal_naive")
    print(f"\nshopscope {ours}\nseasonal naive {naive}")
    assert ours.series == naive.series == 200
    assert ours.wape < 0.95 * naive.wape
    assert ours.mase < naive.mase
    assert ours.mase_median < naive.mase_median


def test_reported_against_autoets_on_the_same_series(evaluation):
    ours, ets = evaluation.get("shopscope@peers"), evaluation.get("AutoETS@peers")
    naive = evaluation.get("seasonal_naive@peers")
    print(f"\nshopscope {ours}\nAutoETS {ets}\nseasonal naive {naive}")
    print(f"seconds: {evaluation.seconds}")
    assert ours.series == ets.series == 20
    assert ets.wape < naive.wape  # the peer is a sensible one
    assert ours.wape <= 1.02 * ets.wape  # the target: within 2% of AutoETS
