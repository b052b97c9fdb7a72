"""Execution findings: listings to fix (catalog audit) and tickets waiting for an answer."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from shopscope.errors import NotFoundError
from shopscope.team.brief.model import Finding
from shopscope.team.brief.providers.registry import BriefContext, param, provider

__all__ = ["catalog_issues", "open_tickets"]

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
