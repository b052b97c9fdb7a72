"""Budget allocation across channels (and weeks) on fitted response curves.

Channel ``c`` at sustained daily spend ``x_c`` brings ``R_c(x_c) = V_c · m_w · f_c(x_c)`` per
day, where ``f_c`` is its response curve, ``V_c`` the value of one unit of outcome (1 when
the outcome is revenue) and ``m_w`` an optional multiplier for week ``w`` (seasonality).
The planner solves

* ``objective="revenue"``: max ``sum R_c(x_c)`` s.t. ``sum x_c = B``, ``lo_c <= x_c <= hi_c``;
* ``objective="profit"``: max ``sum (margin · R_c(x_c) - x_c)`` s.t. ``sum x_c <= B`` and the
  same bounds (it stops spending where a channel's marginal ROAS · margin falls to 1).

With concave curves (power ``theta <= 1``, Hill ``s <= 1``) the optimum equalises marginal
ROAS ``R_c'(x_c)`` across channels not at a bound (KKT). It is found by bisection on the
common marginal ROAS ``mu``: each channel's spend at ``mu`` solves ``R_c'(x) = mu`` by
bisection inside its bounds, and ``mu`` is adjusted until the spends add up to ``B``.

The curves are observational (see :mod:`.response`): the plan is a what-if on them, not a
forecast of an intervention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from shopscope.acquisition.budget.response import OBSERVATIONAL_NOTE, ResponseCurve
from shopscope.errors import InvalidInputError

__all__ = ["AllocationPlan", "ChannelAllocation", "Objective", "allocate_budget", "plan_weeks"]

Objective = Literal["revenue", "profit"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ChannelAllocation:
    """One channel's (or channel-week's) part of a plan, per day."""

    channel: str
    week: int | None
    spend: float
    current_spend: float | None
    outcome: float
    revenue: float
    marginal_roas: float
    lower: float
    upper: float
    at_bound: str | None


@dataclass(frozen=True)
class AllocationPlan:
    """An allocation of a daily budget and what the curves predict for it.

    Attributes
    ----------
    objective, budget, margin
        The problem solved (budget per day; for a weekly plan, the whole horizon's days).
    rows
        Per channel (and week): daily spend, predicted outcome and revenue per day, marginal
        ROAS at the allocation, bounds and which bound binds.
    predicted_revenue, current_revenue, expected_gain
        Revenue per day (or over the horizon for weekly plans) of the plan, of the current
        split scaled to the same budget, and their difference.
    note
        The observational caveat.
    """

    objective: Objective
    budget: float
    margin: float
    rows: tuple[ChannelAllocation, ...]
    predicted_revenue: float
    current_revenue: float | None
    expected_gain: float | None
    note: str = OBSERVATIONAL_NOTE


class _Slots:
    """Channel(-week) slots: curve parameters as arrays, value, bounds, days per slot.

    Responses and marginals are evaluated in closed form for all slots at once (the solver
    calls them thousands of times).
    """

    def __init__(
        self,
        curves: Sequence[ResponseCurve],
        value: FloatArray,
        lower: FloatArray,
        upper: FloatArray,
        days: FloatArray,
    ) -> None:
        self.curves, self.value, self.lower, self.upper, self.days = (
            curves,
            value,
            lower,
            upper,
            days,
        )
        self.hill = np.array([c.form == "hill" for c in curves])
        p = [c.params for c in curves]
        self.scale = np.array(
            [
                c.calibration * (q["vmax"] if c.form == "hill" else q["beta"])
                for c, q in zip(curves, p, strict=True)
            ]
        )
        self.shape = np.array(
            [q["s"] if c.form == "hill" else q["theta"] for c, q in zip(curves, p, strict=True)]
        )
        self.k = np.array([q.get("k", 1.0) for q in p])
        self.carry = 1.0 / (1.0 - np.array([q["decay"] for q in p]))

    def revenue(self, x: FloatArray) -> FloatArray:
        a = np.maximum(x, 0.0) * self.carry
        power = self.scale * a**self.shape
        r = (a / self.k) ** self.shape
        hill = self.scale * r / (1.0 + r)
        out: FloatArray = self.value * np.where(self.hill, hill, power)
        return out

    def marginal(self, x: FloatArray) -> FloatArray:
        a = np.maximum(x, 1e-9) * self.carry
        power = self.scale * self.shape * a ** (self.shape - 1.0)
        r = (a / self.k) ** self.shape
        hill = self.scale * self.shape * r / (a * (1.0 + r) ** 2)
        out: FloatArray = self.value * self.carry * np.where(self.hill, hill, power)
        return out

    def spend_at(self, mu: float) -> FloatArray:
        """Per slot, the spend in its bounds where marginal revenue per day equals ``mu``."""
        lo, hi = self.lower.copy(), self.upper.copy()
        at_lo = self.marginal(lo) <= mu
        at_hi = self.marginal(hi) >= mu
        a, b = lo.copy(), hi.copy()
        for _ in range(48):
            mid = 0.5 * (a + b)
            above = self.marginal(mid) > mu
            a = np.where(above, mid, a)
            b = np.where(above, b, mid)
        x = 0.5 * (a + b)
        out: FloatArray = np.where(at_lo, lo, np.where(at_hi, hi, x))
        return out


def _solve(slots: _Slots, budget: float, objective: Objective, margin: float) -> FloatArray:
    cost = slots.days
    if objective == "profit":
        x = slots.spend_at(1.0 / margin)
        if float((x * cost).sum()) <= budget:
            return x
    lo_mu, hi_mu = 0.0, float(slots.marginal(slots.lower).max()) * 2 + 1.0
    for _ in range(64):
        mu = 0.5 * (lo_mu + hi_mu)
        spent = float((slots.spend_at(mu) * cost).sum())
        if spent > budget:
            lo_mu = mu
        else:
            hi_mu = mu
    # x_low spends at most the budget, x_high at least; the budget lies between them. Blending
    # them closes the gap exactly, including ties (linear curves with equal marginal ROAS).
    x_low, x_high = slots.spend_at(hi_mu), slots.spend_at(lo_mu)
    low, high = float((x_low * cost).sum()), float((x_high * cost).sum())
    t = (budget - low) / (high - low) if high > low else 0.0
    out: FloatArray = x_low + min(max(t, 0.0), 1.0) * (x_high - x_low)
    return out


def _bounds(
    channels: Sequence[str],
    minimum: Mapping[str, float] | None,
    maximum: Mapping[str, float] | None,
    budget: float,
) -> tuple[FloatArray, FloatArray]:
    lo = np.array([float((minimum or {}).get(c, 0.0)) for c in channels])
    hi = np.array([float((maximum or {}).get(c, budget)) for c in channels])
    unknown = sorted((set(minimum or {}) | set(maximum or {})) - set(channels))
    if unknown:
        raise InvalidInputError(
            f"Bounds name channel(s) without a curve: {', '.join(unknown)}. Channels with "
            f"curves: {', '.join(channels)}."
        )
    if (lo < 0).any() or (hi < lo).any():
        raise InvalidInputError(
            "Per-channel bounds need 0 <= min <= max; got "
            + ", ".join(f"{c}: {a:g}..{b:g}" for c, a, b in zip(channels, lo, hi, strict=True))
        )
    return lo, np.minimum(hi, budget)


def allocate_budget(
    curves: Sequence[ResponseCurve],
    budget: float,
    *,
    objective: Objective = "revenue",
    value_per_outcome: Mapping[str, float] | float = 1.0,
    margin: float = 1.0,
    minimum: Mapping[str, float] | None = None,
    maximum: Mapping[str, float] | None = None,
    current: Mapping[str, float] | None = None,
) -> AllocationPlan:
    """Split a daily ``budget`` across the channels of ``curves``.

    Parameters
    ----------
    curves
        One fitted curve per channel.
    budget
        Total spend per day (> 0).
    objective
        ``"revenue"`` (spend all of it) or ``"profit"`` (spend up to it).
    value_per_outcome
        Revenue of one outcome unit, per channel or for all (1 for revenue curves; e.g. the
        expected value of a new customer for ``new_customers`` curves).
    margin
        Gross margin on revenue, in (0, 1], for ``"profit"``.
    minimum, maximum
        Per-channel bounds on daily spend (default 0 and the budget).
    current
        Current daily spend per channel; its split, scaled to ``budget``, is the baseline of
        ``expected_gain``.
    """
    channels = [c.channel for c in curves]
    if not curves or len(set(channels)) != len(channels):
        raise InvalidInputError("Give one response curve per channel (at least one).")
    if not budget > 0:
        raise InvalidInputError(f"budget={budget}: the total daily budget must be > 0.")
    if objective not in ("revenue", "profit"):
        raise InvalidInputError(f"Unknown objective {objective!r}; use revenue or profit.")
    if not 0 < margin <= 1:
        raise InvalidInputError(f"margin={margin}: use a gross margin in (0, 1].")
    lo, hi = _bounds(channels, minimum, maximum, budget)
    if objective == "revenue" and not (lo.sum() <= budget + 1e-9 <= hi.sum() + 2e-9):
        raise InvalidInputError(
            f"Budget {budget:,.2f} per day cannot meet the bounds: minimums add to "
            f"{lo.sum():,.2f}, maximums to {hi.sum():,.2f}. Change the budget or the bounds."
        )
    if objective == "profit" and lo.sum() > budget + 1e-9:
        raise InvalidInputError(
            f"Budget {budget:,.2f} per day is below the minimums' sum {lo.sum():,.2f}."
        )
    value = _values(channels, value_per_outcome)
    slots = _Slots(curves, value, lo, hi, np.ones(len(channels)))
    x = _solve(slots, budget, objective, margin)
    return _plan(slots, x, [None] * len(channels), budget, objective, margin, current)


def _values(channels: Sequence[str], value: Mapping[str, float] | float) -> FloatArray:
    if isinstance(value, Mapping):
        missing = [c for c in channels if c not in value]
        if missing:
            raise InvalidInputError(f"value_per_outcome lacks channel(s) {', '.join(missing)}.")
        return np.array([float(value[c]) for c in channels])
    return np.full(len(channels), float(value))


def _plan(
    slots: _Slots,
    x: FloatArray,
    weeks: Sequence[int | None],
    budget: float,
    objective: Objective,
    margin: float,
    current: Mapping[str, float] | None,
) -> AllocationPlan:
    revenue = slots.revenue(x)
    marginal = slots.marginal(x)
    rows = []
    cur_x: FloatArray | None = None
    if current is not None:
        raw = np.array([max(float(current.get(c.channel, 0.0)), 0.0) for c in slots.curves])
        spent = float((raw * slots.days).sum())
        cur_x = raw * (budget / spent) if spent > 0 else None
    for i, c in enumerate(slots.curves):
        bound = (
            "min"
            if x[i] <= slots.lower[i] + 1e-9
            else ("max" if x[i] >= slots.upper[i] - 1e-9 else None)
        )
        rows.append(
            ChannelAllocation(
                c.channel,
                weeks[i],
                float(x[i]),
                None if cur_x is None else float(cur_x[i]),
                float(revenue[i] / slots.value[i]) if slots.value[i] else 0.0,
                float(revenue[i]),
                float(marginal[i]),
                float(slots.lower[i]),
                float(slots.upper[i]),
                bound,
            )
        )
    total = float((revenue * slots.days).sum())
    cur = None if cur_x is None else float((slots.revenue(cur_x) * slots.days).sum())
    gain = None if cur is None else total - cur
    return AllocationPlan(objective, budget, margin, tuple(rows), total, cur, gain)


def plan_weeks(
    curves: Sequence[ResponseCurve],
    total: float,
    weeks: int,
    *,
    week_multipliers: Sequence[float] | None = None,
    objective: Objective = "revenue",
    value_per_outcome: Mapping[str, float] | float = 1.0,
    margin: float = 1.0,
    minimum: Mapping[str, float] | None = None,
    maximum: Mapping[str, float] | None = None,
    current: Mapping[str, float] | None = None,
) -> AllocationPlan:
    """Split a ``total`` over ``weeks`` weeks and the channels (daily spend per channel-week).

    ``week_multipliers`` scale every channel's response in a week (e.g. a seasonal index);
    without them each week gets the same split. Bounds are per day, as in
    :func:`allocate_budget`; ``total`` is the whole horizon's budget.
    """
    if weeks < 1:
        raise InvalidInputError(f"weeks={weeks}: plan at least one week.")
    mult = np.ones(weeks) if week_multipliers is None else np.asarray(week_multipliers, float)
    if mult.shape != (weeks,) or (mult <= 0).any():
        raise InvalidInputError(
            f"week_multipliers: give {weeks} positive numbers (one per week), got {mult.size}."
        )
    channels = [c.channel for c in curves]
    daily = total / (7.0 * weeks)
    lo, hi = _bounds(channels, minimum, maximum, total / 7.0)
    value = _values(channels, value_per_outcome)
    slot_curves = [c for _ in range(weeks) for c in curves]
    slots = _Slots(
        slot_curves,
        np.concatenate([value * m for m in mult]),
        np.tile(lo, weeks),
        np.tile(hi, weeks),
        np.full(len(slot_curves), 7.0),
    )
    if objective == "revenue" and not (
        slots.lower.sum() * 7 <= total + 1e-9 <= slots.upper.sum() * 7 + 1e-6
    ):
        raise InvalidInputError(
            f"Total {total:,.2f} over {weeks} week(s) cannot meet the daily bounds "
            f"(minimums {lo.sum() * 7 * weeks:,.2f}, maximums {hi.sum() * 7 * weeks:,.2f})."
        )
    if not total > 0 or not 0 < margin <= 1:
        raise InvalidInputError(
            f"total={total}, margin={margin}: need total > 0, margin in (0, 1]."
        )
    del daily
    x = _solve(slots, total, objective, margin)
    week_of = [w + 1 for w in range(weeks) for _ in curves]
    return _plan(slots, x, week_of, total, objective, margin, current)
