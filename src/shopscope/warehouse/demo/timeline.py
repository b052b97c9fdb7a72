"""The calendar of the demo store: seasonal intensity, promotions, operational time, clocks.

All processes share one multiplicative intensity ``s(d)`` per day ``d`` of the history::

    s(d) = yearly(d) * weekly(d) * promo(d) / mean(...)
    yearly(d) = 1 + A cos(2 pi (doy - peak) / 365.25) + C exp(-((doy - xmas) / w)^2 / 2)

normalised to mean 1 over the history. Repeat purchases run on *operational time*
``tau(t) = integral of s``, so a customer's purchase process is a stationary Poisson process in
``tau`` (BG/NBD holds exactly there) and seasonal in calendar time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from shopscope.warehouse.demo.params import SeasonalityParams

__all__ = ["PromotionWindow", "Timeline", "build_timeline"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

US_PER_DAY = 86_400_000_000
US_PER_SECOND = 1_000_000
_EPOCH = dt.date(1970, 1, 1)

# Local-time hour-of-day shape of web shopping: lunch bump, evening peak.
_LOCAL_HOURS = np.array(
    [0.35, 0.2, 0.12, 0.08, 0.07, 0.1, 0.25, 0.5, 0.8, 1.0, 1.1, 1.2,
     1.35, 1.25, 1.1, 1.05, 1.05, 1.1, 1.3, 1.55, 1.75, 1.7, 1.3, 0.75]
)  # fmt: skip


@dataclass(frozen=True)
class PromotionWindow:
    """One concrete promotion inside the history (inclusive day indices)."""

    key: str
    name: str
    start: dt.date
    end: dt.date
    first_day: int
    last_day: int
    discount: float
    uplift: float


@dataclass(frozen=True)
class Timeline:
    """Days of the history and the shared intensity; day 0 is ``start``."""

    start: dt.date
    days: int
    intensity: FloatArray
    cumulative: FloatArray
    weekday: IntArray
    promo_index: IntArray
    promotions: tuple[PromotionWindow, ...]

    @property
    def end(self) -> dt.date:
        """Last day of the history (inclusive)."""
        return self.start + dt.timedelta(days=self.days - 1)

    @property
    def start_us(self) -> int:
        """Microseconds since the epoch at ``start`` 00:00 UTC."""
        return (self.start - _EPOCH).days * US_PER_DAY

    @property
    def end_us(self) -> int:
        """Microseconds since the epoch at the end of the history (exclusive)."""
        return self.start_us + self.days * US_PER_DAY

    def growth(self, rate_per_year: float) -> FloatArray:
        """``exp(rate * d / 365.25)`` per day: exponential growth of new-customer arrivals."""
        d = np.arange(self.days, dtype=np.float64)
        return np.exp(rate_per_year * d / 365.25)

    def day_of_operational(self, tau: FloatArray) -> IntArray:
        """Calendar day containing operational time ``tau``."""
        idx = np.searchsorted(self.cumulative, tau, side="right") - 1
        return np.clip(idx, 0, self.days - 1).astype(np.int64)

    def operational_at(self, day: IntArray, frac: FloatArray) -> FloatArray:
        """Operational time at ``day + frac`` (``frac`` in [0, 1))."""
        return self.cumulative[day] + self.intensity[day] * frac

    def to_us(self, day: IntArray, seconds: IntArray) -> IntArray:
        """Timestamp (microseconds since the epoch) of ``seconds`` into history day ``day``."""
        return self.start_us + day * US_PER_DAY + seconds * US_PER_SECOND

    def discount_on(self, day: IntArray) -> FloatArray:
        """Promotion discount rate applying to product lines on each day (0 outside)."""
        rates = np.array([0.0, *(p.discount for p in self.promotions)])
        return rates[self.promo_index[day] + 1]

    def date_strings(self) -> list[str]:
        """``YYMMDD`` for every day, used in order ids."""
        return [
            (self.start + dt.timedelta(days=int(i))).strftime("%y%m%d") for i in range(self.days)
        ]


def sample_seconds(
    rng: np.random.Generator, n: int, utc_offset_hours: npt.NDArray[np.int64]
) -> IntArray:
    """Second of the UTC day for ``n`` events, following the local hour profile."""
    p = _LOCAL_HOURS / _LOCAL_HOURS.sum()
    local = rng.choice(24, size=n, p=p)
    hour = (local - utc_offset_hours) % 24
    return (hour * 3600 + rng.integers(0, 3600, size=n)).astype(np.int64)


def build_timeline(end: dt.date, days: int, params: SeasonalityParams) -> Timeline:
    """Build the calendar and intensity for ``days`` days ending on ``end`` (inclusive)."""
    start = end - dt.timedelta(days=days - 1)
    dates = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    d_int = dates.astype(np.int64)
    weekday = ((d_int + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday (3)
    years = dates.astype("datetime64[Y]")
    doy = (dates - years.astype("datetime64[D]")).astype(np.int64) + 1
    yearly = 1 + params.yearly_amplitude * np.cos(
        2 * np.pi * (doy - params.yearly_peak_doy) / 365.25
    )
    yearly = yearly + params.christmas_amplitude * np.exp(
        -0.5 * ((doy - params.christmas_peak_doy) / params.christmas_width_days) ** 2
    )
    weekly = np.asarray(params.weekly, dtype=np.float64)[weekday]
    promo_index = np.full(days, -1, dtype=np.int64)
    windows: list[PromotionWindow] = []
    uplift = np.ones(days)
    for year in range(start.year, end.year + 1):
        for rule in params.promotions:
            p_start = dt.date(year, rule.month, rule.day)
            p_end = p_start + dt.timedelta(days=rule.length_days - 1)
            first, last = (p_start - start).days, (p_end - start).days
            if last < 0 or first >= days:
                continue
            lo, hi = max(first, 0), min(last, days - 1)
            promo_index[lo : hi + 1] = len(windows)
            uplift[lo : hi + 1] = rule.uplift
            windows.append(
                PromotionWindow(
                    f"{rule.name}_{year}", rule.name, p_start, p_end, first, last,
                    rule.discount, rule.uplift,
                )
            )  # fmt: skip
    raw = yearly * weekly * uplift
    intensity = raw / raw.mean()
    cumulative = np.concatenate([[0.0], np.cumsum(intensity)])
    return Timeline(start, days, intensity, cumulative, weekday, promo_index, tuple(windows))
