"""Retention findings: valuable customers at risk of churning, and the outreach to them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, provider

__all__ = ["vip_at_risk", "vip_contacts"]


def at_risk(ctx: BriefContext, params: dict[str, Any]) -> list[dict[str, Any]]:
    """The at-risk valuable customers (``retention.churn``), fitted once per brief for the
    same ``days`` and ``max_items`` (the tactical and the execution rule share the fit)."""
    from shopscope.retention.churn import churn_risk

    days = param(params, "days", 90, int)
    top = param(params, "max_items", 10, int)

    def compute() -> list[dict[str, Any]]:
        result = churn_risk(
            ctx.wh,
            from_date=ctx.as_of - timedelta(days=days),
            to_date=ctx.as_of,
            time_unit="week",
            limit=top,
        )
        rows: list[dict[str, Any]] = result.customers.to_pylist()
        return rows

    rows: list[dict[str, Any]] = ctx.cached(f"churn_risk:{days}:{top}", compute)
    return rows


@provider("vip_at_risk")
def vip_at_risk(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """Valuable customers whose P(alive) fell over the last ``days`` (``retention.churn``)."""
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
        for r in at_risk(ctx, params)
    ]


def _profiles(ctx: BriefContext, ids: list[str], favourites: int) -> dict[str, dict[str, Any]]:
    """Contact details, last sale order and most bought products of ``ids`` (engine queries)."""
    import ibis

    from shopscope.insight.definitions import REVERSAL_STATUSES

    c = ctx.wh.table("customers")
    people = {
        r["customer_id"]: r
        for r in c.filter(c.customer_id.isin(ids))
        .select("customer_id", "country", "city", "email_opt_in")
        .to_pyarrow()
        .to_pylist()
    }
    o = ctx.wh.table("orders")
    o = o.filter(o.customer_id.isin(ids) & o.status.notin(list(REVERSAL_STATUSES)))
    last = o.mutate(
        rank=ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("ordered_at"))
    )
    for r in last.filter(last["rank"] == 0).to_pyarrow().to_pylist():
        people.setdefault(r["customer_id"], {})["last_order"] = r
    i, p = ctx.wh.table("order_items"), ctx.wh.table("products")
    lines = i.filter(i.quantity > 0).join(o, "order_id").left_join(p, i.sku == p.sku)
    lines = lines.filter(lines.item_kind.isnull() | (lines.item_kind == "product"))
    bought = lines.group_by("customer_id", "title").aggregate(units=lines.quantity.sum())
    for r in bought.order_by(["customer_id", ibis.desc("units"), "title"]).to_pyarrow().to_pylist():
        fav = people.setdefault(r["customer_id"], {}).setdefault("favourites", [])
        if len(fav) < favourites:
            fav.append(r["title"] or "")
    if ctx.wh.has_table("tickets"):
        t = ctx.wh.table("tickets")
        t = t.filter(t.customer_id.isin(ids) & t.channel.notnull())
        t = t.mutate(
            rank=ibis.row_number().over(group_by="customer_id", order_by=ibis.desc("created_at"))
        )
        for r in t.filter(t["rank"] == 0).to_pyarrow().to_pylist():
            people.setdefault(r["customer_id"], {})["ticket_channel"] = r["channel"]
    return people


@provider("vip_contacts")
def vip_contacts(ctx: BriefContext, params: dict[str, Any]) -> list[Finding]:
    """The at-risk valuable customers of :func:`vip_at_risk` as outreach tasks: how to reach
    them (country, city, marketing e-mail consent, the channel of their last ticket), their last
    order and what they buy most (``favourites`` titles), so the agent can personalise."""
    favourites = param(params, "favourites", 3, int)
    risky = at_risk(ctx, params)
    profiles = _profiles(ctx, [r["customer_id"] for r in risky], favourites)
    out: list[Finding] = []
    for r in risky:
        cid = r["customer_id"]
        info = profiles.get(cid, {})
        last = info.get("last_order") or {}
        opt_in = info.get("email_opt_in")
        place = ", ".join(str(x) for x in (info.get("city"), info.get("country")) if x) or "-"
        out.append(
            Finding(
                key=f"contact:{cid}",
                values={
                    "customer_id": cid,
                    "where": place,
                    "email": "opted in" if opt_in else "no marketing consent",
                    "email_zh": "已同意营销邮件" if opt_in else "未同意营销邮件",
                    "channel": info.get("ticket_channel") or "-",
                    "last_order": last.get("order_id") or "-",
                    "last_order_date": last["ordered_at"].date().isoformat() if last else "-",
                    "last_order_value": f"{last.get('gross_amount') or 0.0:,.2f}",
                    "favourites": "; ".join(info.get("favourites", [])) or "-",
                    "value_at_risk": f"{r['value_at_risk']:,.0f}",
                },
                evidence={
                    "p_alive_to": r["p_alive_to"],
                    "value_at_risk": r["value_at_risk"],
                    "last_order": last.get("order_id"),
                    "email_opt_in": opt_in,
                },
                link=f"/tactical/retention?customer={cid}",
            )
        )
    return out
