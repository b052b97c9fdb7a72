"""Customers: when they arrive, through which channel, and where they live.

New customers arrive per day and channel. Non-paid channels follow
``E[N_d] = k * exp(g * d / 365.25) * s(d)`` split by a fixed mix; paid channels follow their
response curves (:mod:`.marketing`). Customers are numbered in order of arrival, and each lives
in a city around one of the depots (London, Manchester, Shanghai), scattered by a small
Gaussian jitter (sd 0.04 degrees latitude).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from shopscope.warehouse.demo.columns import canonical_table, format_ids, timestamps, vocab_take
from shopscope.warehouse.demo.marketing import PaidPlan
from shopscope.warehouse.demo.params import ACQUISITION_CHANNELS, AcquisitionParams, Depot
from shopscope.warehouse.demo.timeline import Timeline, sample_seconds

__all__ = [
    "CITIES",
    "DEVICES",
    "CustomerChunk",
    "Schedule",
    "build_schedule",
    "customer_chunk",
    "customer_ids",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

# (depot index, city, region, lat, lon, weight within the depot)
CITIES: tuple[tuple[int, str, str, float, float, float], ...] = (
    (0, "London", "Greater London", 51.5074, -0.1278, 0.55),
    (0, "Reading", "Berkshire", 51.4543, -0.9781, 0.10),
    (0, "Brighton", "East Sussex", 50.8225, -0.1372, 0.10),
    (0, "Oxford", "Oxfordshire", 51.7520, -1.2577, 0.08),
    (0, "Cambridge", "Cambridgeshire", 52.2053, 0.1218, 0.08),
    (0, "Guildford", "Surrey", 51.2362, -0.5704, 0.09),
    (1, "Manchester", "Greater Manchester", 53.4808, -2.2426, 0.45),
    (1, "Liverpool", "Merseyside", 53.4084, -2.9916, 0.20),
    (1, "Leeds", "West Yorkshire", 53.8008, -1.5491, 0.20),
    (1, "Sheffield", "South Yorkshire", 53.3811, -1.4701, 0.15),
    (2, "Shanghai", "Shanghai", 31.2304, 121.4737, 0.55),
    (2, "Suzhou", "Jiangsu", 31.2989, 120.5853, 0.15),
    (2, "Hangzhou", "Zhejiang", 30.2741, 120.1551, 0.15),
    (2, "Nanjing", "Jiangsu", 32.0603, 118.7969, 0.08),
    (2, "Ningbo", "Zhejiang", 29.8683, 121.5440, 0.07),
)
DEVICES = ("desktop", "mobile", "tablet", "app")
# Preferred-device mix for UK and Chinese customers.
_DEVICE_MIX = {"GB": (0.40, 0.44, 0.08, 0.08), "CN": (0.18, 0.47, 0.05, 0.30)}


@dataclass(frozen=True)
class Schedule:
    """Arrival day, channel and campaign of every customer, in customer-number order."""

    day: IntArray
    channel: IntArray
    campaign: IntArray
    counts: IntArray

    @property
    def n(self) -> int:
        """Number of customers."""
        return int(self.day.size)


@dataclass(frozen=True)
class CustomerChunk:
    """Customers ``first .. first + n - 1`` with everything later stages need."""

    first: int
    ids: pa.Array
    day: IntArray
    first_us: IntArray
    tau0: FloatArray
    channel: IntArray
    campaign: IntArray
    depot: IntArray
    city: IntArray
    lat: FloatArray
    lon: FloatArray
    device: IntArray
    opt_in: BoolArray
    treatment: BoolArray
    sampled: BoolArray

    @property
    def n(self) -> int:
        """Number of customers in the chunk."""
        return int(self.day.size)

    def table(self, depots: tuple[Depot, ...]) -> pa.Table:
        """The ``customers`` rows of this chunk."""
        return canonical_table(
            "customers",
            {
                "customer_id": self.ids,
                "first_seen_at": timestamps(self.first_us),
                "country": vocab_take([d.country for d in depots], self.depot),
                "region": vocab_take([c[2] for c in CITIES], self.city),
                "city": vocab_take([c[1] for c in CITIES], self.city),
                "lat": np.round(self.lat, 5),
                "lon": np.round(self.lon, 5),
                "acquisition_channel": vocab_take(ACQUISITION_CHANNELS, self.channel),
                "email_opt_in": self.opt_in,
            },
        )


def customer_ids(numbers: IntArray) -> pa.Array:
    """``C`` + eight-digit customer number."""
    return format_ids("C", numbers, 8)


def build_schedule(
    rng: np.random.Generator,
    timeline: Timeline,
    params: AcquisitionParams,
    n_customers: float,
    paid: PaidPlan,
) -> Schedule:
    """Draw arrivals per day and channel; returns per-customer day/channel/campaign."""
    days = timeline.days
    shape = timeline.growth(params.growth_per_year) * timeline.intensity
    shape = shape / shape.sum()
    counts = np.zeros((days, len(ACQUISITION_CHANNELS)), dtype=np.int64)
    for name, share in params.organic_mix:
        counts[:, ACQUISITION_CHANNELS.index(name)] = rng.poisson(share * n_customers * shape)
    for ci, curve in enumerate(paid.curves):
        counts[:, ACQUISITION_CHANNELS.index(curve.channel)] = paid.acquired[ci]
    flat = counts.ravel()
    cell = np.repeat(np.arange(flat.size), flat)
    day = cell // len(ACQUISITION_CHANNELS)
    channel = cell % len(ACQUISITION_CHANNELS)
    order = np.lexsort((rng.random(day.size), day))
    day, channel = day[order], channel[order]
    campaign = np.full(day.size, -1, dtype=np.int64)
    offset = 0
    for ci, curve in enumerate(paid.curves):
        mask = channel == ACQUISITION_CHANNELS.index(curve.channel)
        spend = paid.campaign_spend[ci][day[mask]]
        tot = spend.sum(axis=1, keepdims=True)
        cum = np.cumsum(spend / np.where(tot > 0, tot, 1.0), axis=1)
        u = rng.random(int(mask.sum()))[:, None]
        pick = np.minimum((u > cum).sum(axis=1), len(curve.campaigns) - 1)
        campaign[mask] = offset + pick
        offset += len(curve.campaigns)
    return Schedule(day.astype(np.int64), channel.astype(np.int64), campaign, counts)


def customer_chunk(
    rng: np.random.Generator,
    schedule: Schedule,
    first: int,
    stop: int,
    timeline: Timeline,
    depots: tuple[Depot, ...],
    params: AcquisitionParams,
    sample_fraction: float,
) -> CustomerChunk:
    """Attributes of customers ``first .. stop - 1``."""
    n = stop - first
    day = schedule.day[first:stop]
    depot = rng.choice(len(depots), size=n, p=np.array([d.share for d in depots]))
    city_depot = np.array([c[0] for c in CITIES])
    city = np.empty(n, dtype=np.int64)
    for di in range(len(depots)):
        mask = depot == di
        cand = np.flatnonzero(city_depot == di)
        w = np.array([CITIES[i][5] for i in cand])
        city[mask] = cand[rng.choice(cand.size, size=int(mask.sum()), p=w / w.sum())]
    base_lat = np.array([c[3] for c in CITIES])[city]
    base_lon = np.array([c[4] for c in CITIES])[city]
    lat = base_lat + rng.normal(0.0, 0.04, n)
    lon = base_lon + rng.normal(0.0, 0.04, n) / np.cos(np.radians(base_lat))
    is_cn = np.array([d.country == "CN" for d in depots])[depot]
    device = np.where(
        is_cn,
        rng.choice(len(DEVICES), size=n, p=_DEVICE_MIX["CN"]),
        rng.choice(len(DEVICES), size=n, p=_DEVICE_MIX["GB"]),
    ).astype(np.int64)
    seconds = sample_seconds(rng, n, np.where(is_cn, 8, 0).astype(np.int64))
    first_us = timeline.to_us(day, seconds)
    tau0 = timeline.operational_at(day, seconds / 86_400.0)
    numbers = np.arange(first, stop, dtype=np.int64) + 1
    return CustomerChunk(
        first=first,
        ids=customer_ids(numbers),
        day=day,
        first_us=first_us,
        tau0=tau0,
        channel=schedule.channel[first:stop],
        campaign=schedule.campaign[first:stop],
        depot=depot.astype(np.int64),
        city=city,
        lat=lat,
        lon=lon,
        device=device,
        opt_in=rng.random(n) < params.email_opt_in,
        treatment=rng.random(n) < 0.5,
        sampled=rng.random(n) < sample_fraction,
    )
