"""Paid media: daily spend per channel/campaign and its true diminishing-returns response.

For paid channel ``c`` on day ``d`` the number of customers acquired is::

    N[c, d] ~ Poisson(beta_c * S[c, d] ** theta_c)

where ``S[c, d]`` is the channel's total spend that day (the sum of its campaigns' rows in
``ad_spend``) and ``theta_c < 1`` gives diminishing returns. ``beta_c`` is calibrated so the
channel brings its target share of customers at the size being generated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shopscope.warehouse.demo.columns import canonical_table, vocab_take
from shopscope.warehouse.demo.params import AcquisitionParams, ChannelCurve
from shopscope.warehouse.demo.timeline import Timeline

__all__ = ["PaidPlan", "build_paid_plan", "campaign_names", "fill_campaigns"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class PaidPlan:
    """Spend and acquisitions of the paid channels.

    Attributes
    ----------
    curves:
        The channels' response-curve definitions.
    beta:
        Calibrated ``beta_c`` per channel.
    campaign_spend:
        Spend per channel: array ``(days, n_campaigns)`` in GBP, rounded to pence.
    channel_spend:
        ``(n_channels, days)``: the sum over each channel's campaigns.
    expected:
        ``(n_channels, days)``: ``beta * spend ** theta``.
    acquired:
        ``(n_channels, days)``: the Poisson draws actually used for customers.
    """

    curves: tuple[ChannelCurve, ...]
    beta: FloatArray
    campaign_spend: tuple[FloatArray, ...]
    channel_spend: FloatArray
    expected: FloatArray
    acquired: IntArray
    impressions: tuple[IntArray, ...]
    clicks: tuple[IntArray, ...]

    def ad_spend_table(self, timeline: Timeline) -> pa.Table:
        """The ``ad_spend`` table: one row per day, channel and campaign."""
        dates: list[npt.NDArray[np.datetime64]] = []
        channel_codes: list[IntArray] = []
        campaign_codes: list[IntArray] = []
        spend: list[FloatArray] = []
        impressions: list[IntArray] = []
        clicks: list[IntArray] = []
        names = campaign_names(self.curves)
        day_dates = np.arange(
            np.datetime64(timeline.start, "D"), np.datetime64(timeline.end, "D") + 1
        )
        offset = 0
        for ci, curve in enumerate(self.curves):
            for k in range(len(curve.campaigns)):
                dates.append(day_dates)
                channel_codes.append(np.full(timeline.days, ci, dtype=np.int64))
                campaign_codes.append(np.full(timeline.days, offset + k, dtype=np.int64))
                spend.append(self.campaign_spend[ci][:, k])
                impressions.append(self.impressions[ci][:, k])
                clicks.append(self.clicks[ci][:, k])
            offset += len(curve.campaigns)
        return canonical_table(
            "ad_spend",
            {
                "date": pa.array(np.concatenate(dates), pa.date32()),
                "channel": vocab_take(
                    [c.channel for c in self.curves], np.concatenate(channel_codes)
                ),
                "campaign": vocab_take(names, np.concatenate(campaign_codes)),
                "spend": np.concatenate(spend),
                "impressions": np.concatenate(impressions),
                "clicks": np.concatenate(clicks),
            },
        )


def campaign_names(curves: tuple[ChannelCurve, ...]) -> list[str]:
    """All campaign names, channel by channel."""
    return [name for c in curves for name in c.campaigns]


def build_paid_plan(
    rng: np.random.Generator, timeline: Timeline, params: AcquisitionParams, n_customers: float
) -> PaidPlan:
    """Draw daily spend, calibrate each channel's ``beta`` and draw the paid acquisitions.

    The typical spend level of channel ``c`` is ``cac_c * n_c`` where ``n_c`` is its mean daily
    target of new customers; day-to-day spend follows the seasonal intensity and growth, with
    log-normal noise and occasional paused days, so the curve is identifiable from the data.
    """
    days = timeline.days
    shape = timeline.intensity**0.6 * timeline.growth(params.growth_per_year) ** 0.8
    shape = shape / shape.mean()
    betas: list[float] = []
    camp_spend: list[FloatArray] = []
    totals: list[FloatArray] = []
    imps: list[IntArray] = []
    clks: list[IntArray] = []
    for curve in params.paid:
        n_daily = curve.share * n_customers / days
        level = curve.cac * n_daily
        noise = np.exp(
            rng.normal(-0.5 * params.spend_noise_sigma**2, params.spend_noise_sigma, days)
        )
        total = level * shape * noise
        total[rng.random(days) < params.pause_probability] = 0.0
        shares = np.asarray(curve.campaign_shares) * np.exp(
            rng.normal(0.0, 0.2, (days, len(curve.campaigns)))
        )
        shares /= shares.sum(axis=1, keepdims=True)
        per_campaign = np.round(total[:, None] * shares, 2)
        total = per_campaign.sum(axis=1)
        response = np.where(total > 0, total, 0.0) ** curve.theta
        beta = curve.share * n_customers / max(float(response.sum()), 1e-12)
        imp = rng.poisson(per_campaign / curve.cpm * 1000.0).astype(np.int64)
        clk = rng.binomial(imp, curve.ctr).astype(np.int64)
        betas.append(beta)
        camp_spend.append(per_campaign)
        totals.append(total)
        imps.append(imp)
        clks.append(clk)
    beta_arr = np.asarray(betas)
    theta = np.asarray([c.theta for c in params.paid])
    channel_spend = np.vstack(totals)
    expected = beta_arr[:, None] * channel_spend ** theta[:, None]
    acquired = rng.poisson(expected).astype(np.int64)
    return PaidPlan(
        params.paid, beta_arr, tuple(camp_spend), channel_spend, expected, acquired,
        tuple(imps), tuple(clks),
    )  # fmt: skip


def fill_campaigns(
    rng: np.random.Generator,
    channel: IntArray,
    campaign: IntArray,
    curves: tuple[ChannelCurve, ...],
    channel_names: tuple[str, ...],
) -> IntArray:
    """Give every paid-channel row without a campaign one, by the campaigns' typical shares.

    ``channel`` holds indices into ``channel_names``; ``campaign`` indices into
    :func:`campaign_names` (``-1`` for none). Returns a new campaign array.
    """
    out = campaign.copy()
    offset = 0
    for curve in curves:
        mask = (channel == channel_names.index(curve.channel)) & (out < 0)
        k = len(curve.campaigns)
        out[mask] = offset + rng.choice(
            k, size=int(mask.sum()), p=np.asarray(curve.campaign_shares)
        )
        offset += k
    return out
