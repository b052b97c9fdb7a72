"""The ``demo_truth`` table: every true parameter of the generated store, for validation.

Rows are ``(domain, name, key, value, text)``; ``key`` is ``""`` when there is no sub-key.
``docs/demo-store.md`` explains each row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa

from shopscope.warehouse.demo.catalog import CATEGORIES, Catalog
from shopscope.warehouse.demo.columns import canonical_table
from shopscope.warehouse.demo.customers import DEVICES
from shopscope.warehouse.demo.marketing import PaidPlan
from shopscope.warehouse.demo.params import DemoParams
from shopscope.warehouse.demo.planted import Planted
from shopscope.warehouse.demo.timeline import Timeline

__all__ = ["RunFacts", "truth_table"]

Row = tuple[str, str, str, float | None, str | None]
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class RunFacts:
    """Quantities fixed by one generator run (calibration, windows, identity)."""

    size: str
    seed: int
    target_lines: int
    n_customers_target: float
    lines_per_customer: float
    sample_fraction: float
    window_first_day: int
    experiment_first_day: int
    experiment_id: str


def _day(timeline: Timeline, index: int) -> str:
    return (timeline.start + dt.timedelta(days=index)).isoformat()


def truth_table(
    params: DemoParams,
    timeline: Timeline,
    plan: PaidPlan,
    catalog: Catalog,
    facts: RunFacts,
    planted: Planted | None = None,
) -> pa.Table:
    """Build the ``demo_truth`` rows."""
    rows: list[Row] = [
        ("meta", "size", "", float(facts.target_lines), facts.size),
        ("meta", "seed", "", float(facts.seed), None),
        ("meta", "start_date", "", None, timeline.start.isoformat()),
        ("meta", "end_date", "", None, timeline.end.isoformat()),
        ("meta", "days", "", float(timeline.days), None),
        ("meta", "currency", "", None, params.currency),
        ("meta", "customers_target", "", facts.n_customers_target, None),
        ("meta", "lines_per_customer_pilot", "", facts.lines_per_customer, None),
    ]
    bg, gg = params.bgnbd, params.spend
    rows += [
        ("clv", "bgnbd_r", "", bg.r, "shape of the Gamma purchase-rate heterogeneity"),
        ("clv", "bgnbd_alpha", "", bg.alpha, f"Gamma heterogeneity rate, per {bg.time_unit}"),
        ("clv", "bgnbd_a", "", bg.a, "Beta dropout heterogeneity a"),
        ("clv", "bgnbd_b", "", bg.b, "Beta dropout heterogeneity b"),
        ("clv", "time_unit", "", 1.0, bg.time_unit),
        ("clv", "model", "", None, "mbgnbd: dropout possible after every purchase, the first "
         "included (Batislam et al. 2007); bgnbd_* are its parameters"),
        ("clv", "mean_purchase_rate", "", bg.r / bg.alpha, f"purchases per {bg.time_unit}"),
        ("clv", "clock", "", None, "repeat purchases run on seasonal operational time; "
         "transactions are orders whose order_id starts with 'O' (cancelled included)"),
        ("clv", "gg_p", "", gg.p, "shape of order value given the customer"),
        ("clv", "gg_q", "", gg.q, "shape of the Gamma prior on the spend rate nu"),
        ("clv", "gg_gamma", "", gg.gamma, "rate of the Gamma prior on nu (GBP)"),
        ("clv", "mean_order_value", "", gg.mean_order_value, "p*gamma/(q-1), GBP, before discount"),
    ]  # fmt: skip
    acq = params.acquisition
    rows.append(("acquisition", "growth_per_year", "", acq.growth_per_year, "exp(g*t) arrivals"))
    for name, share in acq.organic_mix:
        rows.append(("acquisition", "channel_share", name, share, "expected share of customers"))
    rows += [
        ("acquisition", "email_opt_in", "", acq.email_opt_in, None),
        ("acquisition", "guest_order_share", "", acq.guest_share, "share of orders by guests"),
    ]
    for ci, curve in enumerate(plan.curves):
        c = curve.channel
        rows += [
            ("acquisition", "channel_share", c, curve.share, "expected share of customers"),
            ("channels", "response_beta", c, float(plan.beta[ci]), "new customers/day = "
             "beta * spend**theta, spend in GBP/day summed over the channel's campaigns"),
            ("channels", "response_theta", c, curve.theta, "elasticity of new customers to spend"),
            ("channels", "cac_at_typical_spend", c, curve.cac, "GBP per customer (design)"),
            ("channels", "cpm", c, curve.cpm, "GBP per 1000 impressions"),
            ("channels", "ctr", c, curve.ctr, "clicks per impression"),
            ("channels", "total_spend", c, float(plan.channel_spend[ci].sum()), "GBP"),
            ("channels", "paid_customers", c, float(plan.acquired[ci].sum()), "Poisson draws"),
        ]  # fmt: skip
    sp = params.seasonality
    rows += [
        ("seasonality", "yearly_amplitude", "", sp.yearly_amplitude, None),
        ("seasonality", "yearly_peak_doy", "", float(sp.yearly_peak_doy), None),
        ("seasonality", "christmas_amplitude", "", sp.christmas_amplitude, None),
        ("seasonality", "christmas_peak_doy", "", float(sp.christmas_peak_doy), None),
        ("seasonality", "christmas_width_days", "", sp.christmas_width_days, None),
    ]
    rows += [
        ("seasonality", "weekly", w, m, "relative intensity by weekday")
        for w, m in zip(_WEEKDAYS, sp.weekly, strict=True)
    ]
    for p in timeline.promotions:
        note = f"{p.start.isoformat()}..{p.end.isoformat()}"
        rows += [
            ("promotions", "discount", p.key, p.discount, note),
            ("promotions", "uplift", p.key, p.uplift, "intensity multiplier in the window"),
        ]
    op = params.orders
    rows += [
        ("orders", "extra_lines_mean", "", op.extra_lines_mean, "lines = 1 + Poisson(m)"),
        (
            "orders",
            "extra_units_mean",
            "",
            op.extra_units_mean,
            "price band chosen for line value / (1 + Poisson(u))",
        ),
        ("orders", "cancel_rate", "", op.cancel_rate, None),
        ("orders", "return_rate", "", op.return_rate, "share of sale orders with a return"),
        ("orders", "shipping_fee", "GB", op.shipping_gb, f"free from {op.free_shipping_gb}"),
        ("orders", "shipping_fee", "CN", op.shipping_cn, f"free from {op.free_shipping_cn}"),
        ("catalog", "zipf_exponent", "", catalog.zipf_exponent, "popularity 1/rank**s"),
        ("catalog", "products", "", float(catalog.n), "product SKUs (shipping SKU excluded)"),
    ]
    rows += [("catalog", "margin", c.name, c.margin, "mean gross margin") for c in CATEGORIES]
    for d in params.depots:
        rows += [
            ("geo", "depot_lat", d.name, d.lat, d.country),
            ("geo", "depot_lon", d.name, d.lon, d.country),
            ("geo", "depot_share", d.name, d.share, d.location),
        ]
    ex = params.experiment
    end_day = timeline.days - 1
    rows += [
        ("experiment", "experiment_id", "", None, facts.experiment_id),
        ("experiment", "lift", "treatment", ex.lift, "relative lift in P(purchase | exposed)"),
        ("experiment", "allocation", "treatment", ex.allocation, "per user"),
        ("experiment", "start_date", "", None, _day(timeline, facts.experiment_first_day)),
        ("experiment", "end_date", "", None, _day(timeline, end_day)),
        ("experiment", "metric", "", None, "users with a purchase / users exposed"),
    ]
    fp = params.funnel
    rows += [
        ("events", "window_start", "", None, _day(timeline, facts.window_first_day)),
        ("events", "sample_fraction", "", facts.sample_fraction, "share of users with events"),
        ("events", "browse_sessions_per_order", "", fp.browse_sessions_per_order, None),
        ("events", "p_product_view", "", fp.p_product_view, "browse sessions"),
        ("events", "p_add_to_cart", "", fp.p_add_to_cart, "given a product view"),
        ("events", "p_begin_checkout", "", fp.p_begin_checkout, "given add to cart"),
        ("events", "devices", "", float(len(DEVICES)), ",".join(DEVICES)),
        ("inventory", "snapshot", "", 1.0, "daily, end of day, per SKU and location"),
        ("inventory", "safety_factor_range", "", 2.0, "k ~ U(-0.5, 2)"),
        ("support", "ticket_rate", "", params.ticket_rate, "per sale order, before adjustments"),
        ("support", "presale_ticket_rate", "", params.presale_ticket_rate, "per order"),
    ]
    if planted is not None:
        rows += planted.truth_rows(params.planted)
    return canonical_table(
        "demo_truth",
        {
            "domain": pa.array([r[0] for r in rows], pa.string()),
            "name": pa.array([r[1] for r in rows], pa.string()),
            "key": pa.array([r[2] for r in rows], pa.string()),
            "value": pa.array([r[3] for r in rows], pa.float64()),
            "text": pa.array([r[4] for r in rows], pa.string()),
        },
    )
