"""Size presets and the ground-truth parameters of the demo store.

Every number that drives the generator lives here, in frozen dataclasses, so that the values
written to ``demo_truth`` are exactly the values the processes used.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from shopscope.errors import InvalidInputError

__all__ = [
    "ACQUISITION_CHANNELS",
    "MIN_TARGET_LINES",
    "PAID_CHANNELS",
    "SIZE_PRESETS",
    "AcquisitionParams",
    "BGNBDParams",
    "ChannelCurve",
    "DemoParams",
    "Depot",
    "ExperimentParams",
    "FunnelParams",
    "GammaGammaParams",
    "OrderParams",
    "PlantedParams",
    "PromotionRule",
    "SeasonalityParams",
    "SizePreset",
    "experiment_id_for",
    "resolve_size",
]

MIN_TARGET_LINES = 1000
ACQUISITION_CHANNELS = (
    "organic_search",
    "paid_search",
    "paid_social",
    "email",
    "affiliate",
    "direct",
    "referral",
)
PAID_CHANNELS = ("paid_search", "paid_social", "affiliate")


@dataclass(frozen=True)
class SizePreset:
    """How much to generate.

    Attributes
    ----------
    name:
        ``"small"``, ``"medium"``, ``"large"`` or ``"custom"``.
    target_lines:
        Approximate number of ``order_items`` rows.
    n_products:
        Number of product SKUs (the shipping SKU comes on top).
    chunk_customers:
        Customers generated and written per streaming chunk.
    event_budget:
        Approximate upper bound on ``events`` rows; the generator samples users to respect it.
    """

    name: str
    target_lines: int
    n_products: int
    chunk_customers: int = 25_000
    event_budget: int = 250_000

    def __post_init__(self) -> None:
        if self.target_lines < MIN_TARGET_LINES:
            raise InvalidInputError(
                f"target_lines={self.target_lines} is too small; use at least {MIN_TARGET_LINES}."
            )
        if self.n_products < 24 or self.chunk_customers < 1 or self.event_budget < 1:
            raise InvalidInputError("n_products >= 24, chunk_customers >= 1, event_budget >= 1")


SIZE_PRESETS: dict[str, SizePreset] = {
    "small": SizePreset("small", 30_000, 200, event_budget=250_000),
    "medium": SizePreset("medium", 1_000_000, 1_200, event_budget=2_500_000),
    # the realised count runs ~2.5 % under the target; aim above so "large" is >= 10 M lines
    "large": SizePreset("large", 10_300_000, 3_000, chunk_customers=40_000, event_budget=5_000_000),
}


def resolve_size(size: str | int) -> SizePreset:
    """Turn ``size`` (a preset name or a number of order lines) into a :class:`SizePreset`.

    Raises
    ------
    InvalidInputError
        When ``size`` is neither a preset name nor an integer >= 1000.
    """
    allowed = (
        f"Use one of {', '.join(repr(k) for k in SIZE_PRESETS)} or an integer number of "
        f"order lines >= {MIN_TARGET_LINES}."
    )
    if isinstance(size, bool):
        raise InvalidInputError(f"Invalid demo size {size!r}. {allowed}")
    if isinstance(size, str):
        key = size.strip().lower()
        if key in SIZE_PRESETS:
            return SIZE_PRESETS[key]
        if key.isdigit():
            return resolve_size(int(key))
        raise InvalidInputError(f"Invalid demo size {size!r}. {allowed}")
    if isinstance(size, int):
        if size < MIN_TARGET_LINES:
            raise InvalidInputError(f"Invalid demo size {size}: too small. {allowed}")
        n_products = int(min(3_000, max(60, round(1.15 * math.sqrt(size)))))
        budget = int(min(5_000_000, max(50_000, 8 * size)))
        return SizePreset("custom", size, n_products, event_budget=budget)
    raise InvalidInputError(f"Invalid demo size {size!r} ({type(size).__name__}). {allowed}")


@dataclass(frozen=True)
class BGNBDParams:
    """BG/NBD purchase and dropout process (Fader, Hardie & Lee 2005).

    Purchase rate ``lambda ~ Gamma(shape=r, rate=alpha)`` per day (of seasonal operational time);
    after every purchase (the first included) the customer drops out with probability
    ``p ~ Beta(a, b)``.
    """

    r: float = 0.62
    alpha: float = 58.0
    a: float = 0.85
    b: float = 3.2
    time_unit: str = "day"

    def __post_init__(self) -> None:
        if min(self.r, self.alpha, self.a, self.b) <= 0:
            raise InvalidInputError("BG/NBD parameters r, alpha, a, b must be > 0")


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV").

    Order value ``z ~ Gamma(shape=p, rate=nu)``, ``nu ~ Gamma(shape=q, rate=gamma)`` per customer,
    so the population mean order value is ``p * gamma / (q - 1)``.
    """

    p: float = 6.0
    q: float = 4.0
    gamma: float = 22.5

    def __post_init__(self) -> None:
        if min(self.p, self.gamma) <= 0 or self.q <= 1:
            raise InvalidInputError("Gamma-Gamma needs p > 0, q > 1, gamma > 0")

    @property
    def mean_order_value(self) -> float:
        """Population mean order value ``p * gamma / (q - 1)``."""
        return self.p * self.gamma / (self.q - 1)


@dataclass(frozen=True)
class ChannelCurve:
    """Paid channel response: expected new customers per day ``beta * spend ** theta``.

    ``beta`` is calibrated by the generator to the size; ``theta < 1`` gives diminishing
    returns. ``cac`` is the customer acquisition cost at the typical spend level (GBP) and
    ``campaigns`` the campaigns that split the channel's spend with ``campaign_shares``.
    """

    channel: str
    theta: float
    cac: float
    share: float
    campaigns: tuple[str, ...]
    campaign_shares: tuple[float, ...]
    cpm: float
    ctr: float


@dataclass(frozen=True)
class AcquisitionParams:
    """How new customers arrive: growth, the non-paid channel mix, the paid curves."""

    growth_per_year: float = 0.45
    organic_mix: tuple[tuple[str, float], ...] = (
        ("organic_search", 0.38),
        ("direct", 0.24),
        ("email", 0.10),
        ("referral", 0.10),
    )
    paid: tuple[ChannelCurve, ...] = (
        ChannelCurve(
            "paid_search",
            0.62,
            22.0,
            0.10,
            ("brand_search", "generic_gifts"),
            (0.35, 0.65),
            6.0,
            0.035,
        ),
        ChannelCurve(
            "paid_social",
            0.74,
            30.0,
            0.06,
            ("social_prospecting", "social_retargeting"),
            (0.7, 0.3),
            4.5,
            0.012,
        ),
        ChannelCurve("affiliate", 0.85, 14.0, 0.02, ("affiliate_network",), (1.0,), 3.0, 0.008),
    )
    spend_noise_sigma: float = 0.35
    pause_probability: float = 0.04
    email_opt_in: float = 0.55
    guest_share: float = 0.04

    @property
    def paid_share(self) -> float:
        """Share of customers acquired through paid channels (in expectation)."""
        return sum(c.share for c in self.paid)


@dataclass(frozen=True)
class PromotionRule:
    """A yearly promotion: sitewide discount on product lines plus an intensity uplift."""

    name: str
    month: int
    day: int
    length_days: int
    discount: float
    uplift: float


@dataclass(frozen=True)
class SeasonalityParams:
    """Multiplicative intensity ``s(t)`` shared by acquisitions and repeat purchases."""

    yearly_amplitude: float = 0.18
    yearly_peak_doy: int = 330
    christmas_amplitude: float = 0.9
    christmas_peak_doy: int = 345
    christmas_width_days: float = 9.0
    weekly: tuple[float, ...] = (1.00, 1.03, 1.01, 0.98, 0.92, 0.86, 1.20)
    promotions: tuple[PromotionRule, ...] = (
        PromotionRule("chinese_new_year", 1, 25, 7, 0.10, 1.25),
        PromotionRule("spring_sale", 4, 10, 5, 0.15, 1.35),
        PromotionRule("festival_618", 6, 14, 5, 0.12, 1.30),
        PromotionRule("summer_sale", 7, 20, 7, 0.15, 1.30),
        PromotionRule("singles_day", 11, 9, 4, 0.20, 1.60),
        PromotionRule("black_friday", 11, 24, 4, 0.25, 1.80),
    )


@dataclass(frozen=True)
class Depot:
    """A dispatch depot; customers are scattered around the cities it serves."""

    name: str
    lat: float
    lon: float
    country: str
    location: str
    share: float


@dataclass(frozen=True)
class OrderParams:
    """Basket, status and return behaviour."""

    extra_lines_mean: float = 0.55
    extra_units_mean: float = 0.2
    cancel_rate: float = 0.02
    return_rate: float = 0.06
    shipping_gb: float = 3.95
    free_shipping_gb: float = 40.0
    shipping_cn: float = 12.0
    free_shipping_cn: float = 80.0
    zipf_exponent: float = 1.05
    repeat_channel_mix: tuple[tuple[str, float], ...] = (
        ("direct", 0.30),
        ("email", 0.28),
        ("organic_search", 0.20),
        ("paid_search", 0.10),
        ("paid_social", 0.05),
        ("referral", 0.04),
        ("affiliate", 0.03),
    )


@dataclass(frozen=True)
class ExperimentParams:
    """The checkout-button A/B test: 50/50 per user, true relative lift in purchase odds."""

    experiment_id: str = "checkout_button_test"
    lift: float = 0.08
    duration_days: int = 56
    allocation: float = 0.5


@dataclass(frozen=True)
class FunnelParams:
    """Browsing sessions that do not end in a purchase, and their drop-off."""

    window_days: int = 90
    browse_sessions_per_order: float = 30.0
    p_product_view: float = 0.58
    p_add_to_cart: float = 0.16
    p_begin_checkout: float = 0.45
    p_search: float = 0.22
    extra_views_mean: float = 1.4
    research_share: float = 0.2
    events_per_order: float = 55.0


@dataclass(frozen=True)
class PlantedParams:
    """How strong each planted situation is (``warehouse/demo/planted.py``)."""

    window_days: int = 28
    roas_factor: float = 1.8
    cover_days: float = 4.0
    vip_quiet_days: int = 120
    trend_days: int = 28
    trend_drop: float = 0.8


@dataclass(frozen=True)
class DemoParams:
    """Every ground-truth parameter of the demo store (see ``docs/demo-store.md``)."""

    bgnbd: BGNBDParams = field(default_factory=BGNBDParams)
    spend: GammaGammaParams = field(default_factory=GammaGammaParams)
    acquisition: AcquisitionParams = field(default_factory=AcquisitionParams)
    seasonality: SeasonalityParams = field(default_factory=SeasonalityParams)
    orders: OrderParams = field(default_factory=OrderParams)
    experiment: ExperimentParams = field(default_factory=ExperimentParams)
    funnel: FunnelParams = field(default_factory=FunnelParams)
    planted: PlantedParams = field(default_factory=PlantedParams)
    depots: tuple[Depot, ...] = (
        Depot("london", 51.5074, -0.1278, "GB", "uk_warehouse", 0.50),
        Depot("manchester", 53.4808, -2.2426, "GB", "uk_warehouse", 0.28),
        Depot("shanghai", 31.2304, 121.4737, "CN", "cn_warehouse", 0.22),
    )
    currency: str = "GBP"
    ticket_rate: float = 0.035
    presale_ticket_rate: float = 0.006


def experiment_id_for(start: dt.date, params: ExperimentParams) -> str:
    """The experiment id, suffixed with the year the test started."""
    return f"{params.experiment_id.removesuffix('_test')}_{start.year}"
