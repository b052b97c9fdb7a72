"""CLV fit speed: shopscope's BG/NBD and Gamma-Gamma beside lifetimes 0.11.3 on one summary.

Workload: a 1,000,000-customer ``(x, t_x, T, monetary)`` summary simulated with a fixed seed
from the CDNOW parameters (BG/NBD r=0.243, α=4.414, a=0.793, b=2.426; Gamma-Gamma p=6.25,
q=3.74, γ=15.44), on CDNOW's clock: first purchases spread over 12 weeks, a 39-week
calibration, times on the day grid (as :func:`rfm_summary` gives them), spend in cents.

Subjects, each fitting the same arrays:

shopscope
    ``BGNBD().fit(x, t_x, T)`` and ``GammaGamma().fit(x, monetary)`` on the repeat customers
    (identical rows are collapsed into weights inside ``fit``).
lifetimes
    ``BetaGeoFitter().fit(x, t_x, T)`` and ``GammaGammaFitter().fit(x, monetary)``.

Target (issue 4): >= 10x faster than lifetimes, same parameters to 1e-4 relative.
``BENCH_CLV_CUSTOMERS`` changes the size (default 1,000,000).
"""

# ruff: noqa: N806

from __future__ import annotations

import os
import subprocess
import sys
import time
import warnings

import numpy as np

from benchmarks.runner import Measurement, print_table, save

BGNBD_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GG_PARAMS = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def summary(n: int, seed: int = 2005) -> tuple[np.ndarray, ...]:
    """A CDNOW-like summary of ``n`` customers (weeks, day grid)."""
    from shopscope.retention.clv import simulate_purchases, simulate_spend

    rng = np.random.default_rng(seed)
    first_day = rng.integers(0, 84, n)
    T = (273 - first_day) / 7.0
    x, t_x = simulate_purchases("bgnbd", BGNBD_PARAMS, T, seed=seed + 1)
    t_x = np.minimum(np.floor(t_x * 7.0) / 7.0, T)
    t_x = np.where(x > 0, np.maximum(t_x, 1 / 7.0), 0.0)
    monetary = np.round(simulate_spend(GG_PARAMS, x, seed=seed + 2), 2)
    monetary = np.where(x > 0, np.maximum(monetary, 0.01), 0.0)
    return x, t_x, T, monetary


def _max_rel(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] / b[k] - 1) for k in a)


def main() -> None:
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        # SciPy's L-BFGS-B calls BLAS on tiny matrices; OpenBLAS threads then cost more than
        # the likelihood on a busy machine. Both subjects run single-threaded in a child.
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        code = "import benchmarks.bench_clv as b; b.main()"
        subprocess.run([sys.executable, "-c", code], env=env, check=True)
        return
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    from shopscope.retention.clv import BGNBD, GammaGamma

    n = int(os.environ.get("BENCH_CLV_CUSTOMERS", "1000000"))
    x, t_x, T, m = summary(n)
    rep = x > 0
    workload_bg = f"bgnbd-{n}-customers"
    workload_gg = f"gammagamma-{int(rep.sum())}-repeaters"
    rows: list[Measurement] = []

    start = time.perf_counter()
    ours_bg = BGNBD().fit(x, t_x, T)
    rows.append(Measurement("clv", workload_bg, "shopscope", time.perf_counter() - start, n))
    start = time.perf_counter()
    ours_gg = GammaGamma().fit(x[rep], m[rep])
    rows.append(
        Measurement("clv", workload_gg, "shopscope", time.perf_counter() - start, int(rep.sum()))
    )

    frame = pd.DataFrame({"frequency": x, "recency": t_x, "T": T, "monetary": m})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        lt_bg = BetaGeoFitter().fit(frame.frequency, frame.recency, frame["T"])
        rows.append(Measurement("clv", workload_bg, "lifetimes", time.perf_counter() - start, n))
        repeat = frame[frame.frequency > 0]
        start = time.perf_counter()
        lt_gg = GammaGammaFitter().fit(repeat.frequency, repeat.monetary)
        rows.append(
            Measurement("clv", workload_gg, "lifetimes", time.perf_counter() - start, len(repeat))
        )
    lt_bg_params = {k: float(lt_bg.params_[k]) for k in ("r", "alpha", "a", "b")}
    lt_gg_params = {"p": float(lt_gg.params_["p"]), "q": float(lt_gg.params_["q"]),
                    "gamma": float(lt_gg.params_["v"])}  # fmt: skip
    diff = {
        "bgnbd_max_rel_param_diff": _max_rel(ours_bg.params_, lt_bg_params),
        "gammagamma_max_rel_param_diff": _max_rel(ours_gg.params_, lt_gg_params),
        "distinct_rows": int(np.unique(np.column_stack([x, t_x, T]), axis=0).shape[0]),
    }  # fmt: skip
    print_table(rows, "lifetimes", target=">= 10x lifetimes, parameters equal to 1e-4 relative")
    print(f"BG/NBD      shopscope {ours_bg.params_}\n            lifetimes {lt_bg_params}")
    print(f"Gamma-Gamma shopscope {ours_gg.params_}\n            lifetimes {lt_gg_params}")
    for key, value in diff.items():
        print(f"{key}: {value}")
    print(f"results: {save('clv', rows, diff)}")


if __name__ == "__main__":
    main()
