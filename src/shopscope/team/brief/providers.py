"""Finding providers: each runs one analysis and returns what it noticed as :class:`Finding`.

A provider is ``fn(ctx, params) -> list[Finding]``, registered under a name that rules refer to.
Providers raise :class:`~shopscope.errors.ShopscopeError` when their data is missing; the brief
reports that rule as skipped with the message instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from shopscope.errors import ConfigurationError, NotFoundError
from shopscope.team.brief.model import Finding

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["PROVIDERS", "BriefContext", "provider"]


@dataclass
class BriefContext:
    """What every provider gets: the warehouse, the brief's day and a cache shared by rules."""

    wh: Warehouse
    as_of: date
    cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per brief for ``key``."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


Provider = Callable[[BriefContext, dict[str, Any]], list[Finding]]
PROVIDERS: dict[str, Provider] = {}


def provider(name: str) -> Callable[[Provider], Provider]:
    """Register a provider under ``name``."""

    def wrap(fn: Provider) -> Provider:
        PROVIDERS[name] = fn
        return fn

    return wrap


def param(params: dict[str, Any], name: str, default: Any, kind: type) -> Any:
    """``params[name]`` checked against ``kind`` (int accepted for float)."""
    value = params.get(name, default)
    ok = isinstance(value, kind) or (kind is float and isinstance(value, int))
    if not ok or (isinstance(value, bool) and kind is not bool):
        raise ConfigurationError(f"Rule parameter {name}={value!r} must be a {kind.__name__}.")
    return value


def _pct(x: float) -> str:
    return f"{x:+.1%}"


def _last_days(as_of: date, days: int) -> Any:
    from shopscope.insight.periods import DateRange

    return DateRange(as_of - timedelta(days=days - 1), as_of)


@provider("kpi_movement")
def kpi_movement(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Revenue over the last ``days`` against the ``days`` before, with its drivers."""
    from shopscope.insight.drivers import explain_revenue_change

    days = param(params, "days", 7, int)
    min_change = param(params, "min_change", 0.10, float)
    report = explain_revenue_change(ctx.wh, _last_days(ctx.as_of, days))
    rel = report.change_rel
    if rel is None or abs(rel) < min_change:
        return []
    up = rel > 0
    return [
        Finding(
            key="kpi_movement:revenue",
            values={
                "direction": "up" if up else "down",
                "direction_zh": "上升" if up else "下降",
                "change_pct": _pct(rel),
                "headline": report.headline,
                "headline_zh": report.headline_zh,
                "start": report.current.start.isoformat(),
                "end": report.current.end.isoformat(),
            },
            evidence={
                "revenue_current": round(report.revenue_current, 2),
                "revenue_previous": round(report.revenue_previous, 2),
                "change_rel": rel,
            },
        )
    ]


@provider("anomalies")
def anomalies(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Anomalous days among the last ``days`` (robust weekday-and-trend baseline)."""
    from shopscope.insight.anomalies import detect_anomalies

    days = param(params, "days", 7, int)
    threshold = param(params, "threshold", 3.5, float)
    kpis = tuple(params.get("kpis", ("revenue", "orders", "conversion_rate")))
    found = detect_anomalies(ctx.wh, _last_days(ctx.as_of, days), kpis=kpis, threshold=threshold)
    return [
        Finding(
            key=f"anomaly:{a.kpi}:{a.day.isoformat()}",
            values={
                "kpi": a.kpi,
                "day": a.day.isoformat(),
                "direction": a.direction,
                "direction_zh": "偏高" if a.direction == "up" else "偏低",
                "size_pct": _pct(a.size),
                "drivers": "; ".join(a.drivers[:2]) or "no single driver",
            },
            evidence={"value": a.value, "expected": a.expected, "score": a.score},
        )
        for a in found
    ]


_PROBLEMS_ZH = {
    "missing_description": "缺少描述",
    "short_description": "描述过短",
    "missing_images": "缺少图片",
    "missing_attributes": "缺少属性",
    "duplicate_title": "标题重复",
    "price_below_cost": "售价低于成本",
    "missing_search_terms": "标题缺少高转化搜索词",
}


@provider("catalog_issues")
def catalog_issues(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Listings with quality problems (``team.catalog_audit``), most problems first."""
    from shopscope.team.catalog_audit import audit_catalog

    limit = param(params, "max_items", 20, int)
    audit = audit_catalog(ctx.wh)
    by_sku: dict[str, list[Any]] = {}
    for issue in audit.issues:
        by_sku.setdefault(issue.sku, []).append(issue)
    ranked = sorted(by_sku.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    return [
        Finding(
            key=f"listing:{sku}",
            values={
                "sku": sku,
                "title": issues[0].title or "",
                "problems": ", ".join(i.code.replace("_", " ") for i in issues),
                "problems_zh": "、".join(_PROBLEMS_ZH[i.code] for i in issues),
            },
            evidence={"problems": len(issues), "codes": ",".join(i.code for i in issues)},
        )
        for sku, issues in ranked
    ]


@provider("open_tickets")
def open_tickets(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Tickets still open or pending ``older_than_hours`` after they came in, oldest first."""
    hours = param(params, "older_than_hours", 24, int)
    limit = param(params, "max_items", 20, int)
    if not ctx.wh.has_table("tickets"):
        raise NotFoundError("The warehouse has no tickets table; ingest tickets first.")
    t = ctx.wh.table("tickets")
    end = datetime.combine(ctx.as_of + timedelta(days=1), time())
    cutoff = end - timedelta(hours=hours)
    rows = (
        t.filter(t.status.isin(["open", "pending"]) & (t.created_at <= cutoff))
        .order_by(t.created_at)
        .limit(limit)
        .select("ticket_id", "created_at", "order_id", "language", "subject", "status")
        .to_pyarrow()
        .to_pylist()
    )
    return [
        Finding(
            key=f"ticket:{r['ticket_id']}",
            values={
                "ticket_id": r["ticket_id"],
                "subject": r["subject"] or "",
                "age_hours": int((end - r["created_at"]).total_seconds() // 3600),
                "order_id": r["order_id"] or "-",
            },
            evidence={"status": r["status"], "created_at": r["created_at"].isoformat()},
        )
        for r in rows
    ]


@provider("vip_at_risk")
def vip_at_risk(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Valuable customers whose P(alive) fell over the last ``days`` (``retention.churn``)."""
    from shopscope.retention.churn import churn_risk

    days = param(params, "days", 90, int)
    top = param(params, "max_items", 10, int)
    result = churn_risk(
        ctx.wh,
        from_date=ctx.as_of - timedelta(days=days),
        to_date=ctx.as_of,
        time_unit="week",
        limit=top,
    )
    return [
        Finding(
            key=f"vip:{r['customer_id']}",
            values={
                "customer_id": r["customer_id"],
                "weeks": int(r["x"]) + 1,
                "quiet_days": int(r["days_since_last_purchase"]),
                "p_alive_pct": f"{r['p_alive_to']:.0%}",
                "value_at_risk": f"{r['value_at_risk']:,.0f}",
            },
            evidence={
                "p_alive_from": r["p_alive_from"],
                "p_alive_to": r["p_alive_to"],
                "clv_if_alive": r["clv_if_alive"],
            },
        )
        for r in result.customers.to_pylist()
    ]


def _replenishment(ctx: BriefContext) -> Any:
    from shopscope.supply.inventory import replenishment_plan

    return ctx.cached("replenishment", lambda: replenishment_plan(ctx.wh, as_of=ctx.as_of))


def _at_risk(ctx: BriefContext, min_risk: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = _replenishment(ctx).rows.to_pylist()
    risky = [r for r in rows if (r["stockout_risk"] or 0) >= min_risk and r["order_qty"] > 0]
    return sorted(risky, key=lambda r: (-r["stockout_risk"], r["sku"], r["location"]))


@provider("stock_risk")
def stock_risk(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """SKUs likely to stock out before a new order can arrive, with the order to place."""
    min_risk = param(params, "min_risk", 0.5, float)
    top = param(params, "max_items", 20, int)
    return [
        Finding(
            key=f"restock:{r['sku']}:{r['location']}",
            values={
                "sku": r["sku"],
                "location": r["location"],
                "order_qty": f"{r['order_qty']:,.0f}",
                "order_by": str(r["order_by"]),
                "days_of_cover": f"{r['days_of_cover']:.1f}",
                "risk_pct": f"{r['stockout_risk']:.0%}",
            },
            evidence={
                "on_hand": r["on_hand"],
                "on_order": r["on_order"],
                "mean_daily_demand": r["mean_daily_demand"],
                "lead_time_days": r["lead_time_days"],
                "stockout_risk": r["stockout_risk"],
            },
        )
        for r in _at_risk(ctx, min_risk)[:top]
    ]


@provider("stock_risk_summary")
def stock_risk_summary(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """How many SKUs are at stock-out risk and the value of the orders that would cover them."""
    min_risk = param(params, "min_risk", 0.5, float)
    risky = _at_risk(ctx, min_risk)
    if not risky:
        return []
    value = sum(float(r["order_value"] or 0.0) for r in risky)
    return [
        Finding(
            key="stock_risk_summary",
            values={"skus": len(risky), "order_value": f"{value:,.0f}"},
            evidence={"skus": len(risky), "order_value": value},
        )
    ]


@provider("experiments")
def experiments(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Experiments with exposures in the last ``recent_days``: ready to call, untrustworthy
    (sample-ratio mismatch) or still inconclusive with the days a ``mde`` effect still needs."""
    from shopscope.conversion.experiments.analysis import analyze_experiment
    from shopscope.conversion.experiments.assignment import experiment_ids
    from shopscope.conversion.experiments.power import sample_size

    recent = param(params, "recent_days", 14, int)
    mde = param(params, "mde", 0.05, float)
    out: list[Finding] = []
    for eid, units, first, last in experiment_ids(ctx.wh):
        if first is None or last is None or last.date() < ctx.as_of - timedelta(days=recent):
            continue
        analysis = analyze_experiment(ctx.wh, eid)
        decision = analysis.decision
        primary = analysis.results[0].best if analysis.results else None
        days_run = max((last - first).days + 1, 1)
        remaining = "-"
        if decision.verdict == "inconclusive" and primary and primary.control_mean:
            plan = sample_size(
                baseline=primary.control_mean, mde=mde, daily_traffic=units / days_run
            )
            remaining = str(max((plan.days or 0) - days_run, 0))
        out.append(
            Finding(
                key=f"experiment:{eid}",
                values={
                    "experiment_id": eid,
                    "verdict": decision.verdict,
                    "summary": decision.summary,
                    "days_run": days_run,
                    "days_left": remaining,
                    "mde_pct": f"{mde:.0%}",
                },
                evidence={
                    "verdict": decision.verdict,
                    "units": units,
                    "srm_p": analysis.srm.p_value,
                    "lift": primary.lift if primary else None,
                },
            )
        )
    return out


def _sku_list(skus: Any, limit: int = 3) -> str:
    items = [s.strip() for s in skus.split(",")] if isinstance(skus, str) else list(skus or [])
    shown = ", ".join(str(s) for s in items[:limit])
    return shown + (" …" if len(items) > limit else "")


@provider("abandoned_carts")
def abandoned_carts(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """The most valuable carts abandoned by known customers in the last ``days``."""
    from shopscope.conversion.abandoned import abandoned_carts as carts

    days = param(params, "days", 3, int)
    top = param(params, "max_items", 10, int)
    end = datetime.combine(ctx.as_of + timedelta(days=1), time())
    rows = carts(ctx.wh, since=end - timedelta(days=days), as_of=end, limit=None).to_pylist()
    known = [r for r in rows if r["customer_id"]][:top]
    return [
        Finding(
            key=f"cart:{r['session_id']}",
            values={
                "customer_id": r["customer_id"],
                "items": r["items"],
                "value": f"{r['value']:,.2f}",
                "skus": _sku_list(r["skus"]),
            },
            evidence={"value": r["value"], "items": r["items"]},
        )
        for r in known
    ]


@provider("roas_drop")
def roas_drop(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Paid channels whose ROAS over the last ``days`` fell by ``min_drop`` or more against the
    ``days`` before, among channels that spent at least ``min_spend`` in both windows."""
    from shopscope.acquisition import channel_table
    from shopscope.insight.periods import DateRange

    days = param(params, "days", 28, int)
    min_drop = param(params, "min_drop", 0.35, float)
    min_spend = param(params, "min_spend", 100.0, float)
    current = _last_days(ctx.as_of, days)
    previous = DateRange(current.start - timedelta(days=days), current.start - timedelta(days=1))

    def by_channel(period: Any) -> dict[str, dict[str, Any]]:
        rows = channel_table(ctx.wh, period).to_pyarrow().to_pylist()
        return {r["channel"]: r for r in rows}

    now, before = by_channel(current), by_channel(previous)
    out: list[Finding] = []
    for channel, row in sorted(now.items()):
        old = before.get(channel)
        if old is None or min(row["spend"] or 0.0, old["spend"] or 0.0) < min_spend:
            continue
        if not row["roas"] or not old["roas"]:
            continue
        change = row["roas"] / old["roas"] - 1.0
        if change > -min_drop:
            continue
        out.append(
            Finding(
                key=f"roas:{channel}",
                values={
                    "channel": channel,
                    "roas": f"{row['roas']:.2f}",
                    "roas_before": f"{old['roas']:.2f}",
                    "change_pct": _pct(change),
                    "spend_change_pct": _pct(row["spend"] / old["spend"] - 1.0),
                    "days": days,
                },
                evidence={
                    "roas": row["roas"],
                    "roas_before": old["roas"],
                    "spend": row["spend"],
                    "spend_before": old["spend"],
                },
            )
        )
    return out
