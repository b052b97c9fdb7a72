"""Recent traffic and baseline of an experiment, for power and duration planning."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from shopscope.conversion.experiments.assignment import exposure_units
from shopscope.errors import NotFoundError
from shopscope.warehouse.connection import Warehouse

__all__ = ["Traffic", "experiment_traffic"]


@dataclass(frozen=True)
class Traffic:
    """Newly exposed units per day over the last ``days`` and the control conversion rate."""

    experiment_id: str
    days: int
    daily_units: float
    baseline_conversion: float | None
    last_exposure: datetime


def experiment_traffic(
    wh: Warehouse, experiment_id: str, *, days: int = 14, control: str = "control"
) -> Traffic:
    """Daily new exposed units over the last ``days`` days of exposures, and the baseline."""
    units = exposure_units(wh, experiment_id)
    last = units.first_at.max().to_pyarrow().as_py()
    if last is None:
        raise NotFoundError(f"Experiment {experiment_id!r} has no exposures.")
    recent = units.filter(units.first_at > last - timedelta(days=days)).count().to_pyarrow()
    ev = wh.table("events")
    pur = ev.filter(ev.event_type == "purchase", ev.anonymous_id.notnull())
    pur = pur.select(p_uid=pur.anonymous_id, p_at=pur.occurred_at)
    c = units.filter(units.variant == control)
    j = c.left_join(pur, [c.unit_id == pur.p_uid, pur.p_at >= c.first_at])
    per = j.group_by("unit_id").aggregate(conv=j.p_at.notnull().cast("int64").max())
    rate = per.conv.mean().to_pyarrow().as_py()
    return Traffic(
        experiment_id, days, int(recent.as_py()) / days,
        float(rate) if rate is not None else None, last,
    )  # fmt: skip
