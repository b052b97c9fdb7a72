"""Channel and campaign performance: traffic, conversion, revenue, spend and their ratios.

Per channel (and campaign or day) over a period, from four sources joined on the channel name:

* **sessions** (``events``, classified by :mod:`.channels`): sessions, purchase sessions,
  conversion rate, session revenue (revenue of purchase events);
* **orders** (sale orders, ``orders.channel``): orders and goods revenue;
* **new customers** (``customers.acquisition_channel`` of customers whose first sale order
  falls in the period);
* **spend** (``ad_spend``): spend, impressions, clicks.

Ratios: CPC = spend / clicks, CPM = 1000 · spend / impressions, CAC = spend / new customers
(null without spend),
ROAS = revenue / spend; blended MER = total revenue / total spend over all channels. A ratio
with a zero or missing denominator is null. Orders carry no campaign, so at campaign grain
revenue is the sessions' revenue (``revenue_basis = 'sessions'``).

See ``docs/methods/channels.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from shopscope.acquisition.channels import ChannelRules, load_channel_rules, sessions
from shopscope.errors import InvalidInputError
from shopscope.insight.cohorts import sale_orders
from shopscope.insight.periods import DateRange, in_range

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["ChannelGrain", "ChannelReport", "channel_report", "channel_table", "check_spend"]

ChannelGrain = Literal["channel", "campaign", "day"]
UNKNOWN = "unknown"


def _div(num: ir.NumericValue, den: ir.NumericValue, scale: float = 1.0) -> ir.FloatingValue:
    return ibis.ifelse(den > 0, num * scale / den, ibis.null("float64"))


def check_spend(wh: Warehouse, period: DateRange | None = None) -> int:
    """Raise on negative spend in ``ad_spend``; return the number of rows with missing spend.

    Raises
    ------
    InvalidInputError
        Some ``spend`` is negative; the message shows up to three such rows.
    """
    a = wh.table("ad_spend")
    if period is not None:
        a = in_range(a, "date", period)
    bad = a.filter(a.spend < 0)
    rows = bad.order_by("date", "channel", "campaign").limit(3).to_pyarrow().to_pylist()
    if rows:
        shown = "; ".join(f"{r['date']} {r['channel']}/{r['campaign']}: {r['spend']}" for r in rows)
        raise InvalidInputError(
            f"ad_spend has negative spend (e.g. {shown}). Spend must be >= 0: fix the source "
            "rows (refunds and credits belong in a separate adjustment, not negative spend) "
            "and re-ingest."
        )
    missing = a.filter(a.spend.isnull()).count().to_pyarrow().as_py()
    return int(missing)


def _spend(wh: Warehouse, period: DateRange, keys: list[str]) -> ir.Table:
    a = in_range(wh.table("ad_spend"), "date", period)
    a = a.mutate(channel=ibis.coalesce(a.channel, UNKNOWN), day=a.date)
    return a.group_by(keys).aggregate(
        spend=ibis.coalesce(a.spend, 0.0).sum(),
        impressions=a.impressions.sum(),
        clicks=a.clicks.sum(),
    )


def _sessions(wh: Warehouse, period: DateRange, keys: list[str], rules: ChannelRules) -> ir.Table:
    s = sessions(wh, rules=rules, period=period)
    s = s.mutate(campaign=ibis.coalesce(s.campaign, "(none)"))
    return s.group_by(keys).aggregate(
        sessions=s.count(),
        purchase_sessions=(s.purchases > 0).cast("int64").sum(),
        session_revenue=s.revenue.sum(),
    )


def _orders(wh: Warehouse, period: DateRange, keys: list[str]) -> ir.Table:
    o = in_range(sale_orders(wh), "ordered_at", period)
    o = o.mutate(channel=ibis.coalesce(o.channel, UNKNOWN), day=o.ordered_at.date())
    return o.group_by(keys).aggregate(orders=o.count(), revenue=o.revenue.sum())


def _new_customers(wh: Warehouse, period: DateRange, keys: list[str]) -> ir.Table:
    s = sale_orders(wh)
    s = s.filter(s.customer_id.notnull())
    first = s.group_by("customer_id").aggregate(acquired_at=s.ordered_at.min())
    first = in_range(first, "acquired_at", period)
    c = wh.table("customers").select("customer_id", "acquisition_channel")
    j = first.left_join(c, "customer_id")
    j = j.mutate(channel=ibis.coalesce(j.acquisition_channel, UNKNOWN), day=j.acquired_at.date())
    return j.group_by(keys).aggregate(new_customers=j.count())


def channel_table(
    wh: Warehouse,
    period: DateRange,
    *,
    by: ChannelGrain = "channel",
    rules: ChannelRules | None = None,
) -> ir.Table:
    """The performance table as an Ibis expression (one row per channel[, campaign | day]).

    Parameters
    ----------
    wh
        The warehouse.
    period
        Days to cover (sessions by start, orders by order time, spend by date).
    by
        ``"channel"``, ``"campaign"`` (channel and campaign) or ``"day"`` (channel and day).
    rules
        Channel grouping table for sessions (default: the packaged one).

    Returns
    -------
    ibis.Table
        Keys, then ``sessions, purchase_sessions, conversion_rate, session_revenue, orders,
        revenue, new_customers, spend, impressions, clicks, cpc, cpm, cac, roas,
        revenue_basis``. Counts missing from a source are 0; ratios are null when undefined.
    """
    if by not in get_args(ChannelGrain):
        raise InvalidInputError(
            f"Unknown grain {by!r}; use one of {', '.join(get_args(ChannelGrain))}."
        )
    table = rules or load_channel_rules()
    keys = ["channel"] if by == "channel" else ["channel", by]
    parts = [_sessions(wh, period, keys, table), _spend(wh, period, keys)]
    if by != "campaign":
        parts += [_orders(wh, period, keys), _new_customers(wh, period, keys)]
    kinds = {"channel": "string", "campaign": "string", "day": "date"}
    key_sets = [p.select(**{k: p[k].cast(kinds[k]) for k in keys}) for p in parts]
    j = ibis.union(*key_sets, distinct=True)
    for p in parts:
        j = j.left_join(p, keys).drop(*(f"{k}_right" for k in keys))
    zero_int = ["sessions", "purchase_sessions", "impressions", "clicks"]
    zero_float = ["session_revenue", "spend"]
    if by == "campaign":
        j = j.mutate(
            orders=ibis.null("int64"),
            revenue=j.session_revenue,
            new_customers=ibis.null("int64"),
            revenue_basis=ibis.literal("sessions"),
        )
    else:
        zero_int += ["orders", "new_customers"]
        zero_float += ["revenue"]
        j = j.mutate(revenue_basis=ibis.literal("orders"))
    j = j.mutate(
        **{c: ibis.coalesce(j[c], 0).cast("int64") for c in zero_int},
        **{c: ibis.coalesce(j[c], 0.0).cast("float64") for c in zero_float},
    )
    j = j.mutate(
        revenue=ibis.coalesce(j.revenue, 0.0),
        conversion_rate=_div(j.purchase_sessions, j.sessions),
        cpc=_div(j.spend, j.clicks),
        cpm=_div(j.spend, j.impressions, 1000.0),
        # a channel without spend has no acquisition cost to speak of: null, not 0
        cac=ibis.ifelse(j.spend > 0, _div(j.spend, j.new_customers), ibis.null("float64"))
        if by != "campaign"
        else ibis.null("float64"),
        roas=_div(ibis.coalesce(j.revenue, 0.0), j.spend),
    )
    return j.select(
        *keys,
        "sessions",
        "purchase_sessions",
        "conversion_rate",
        "session_revenue",
        "orders",
        "revenue",
        "new_customers",
        "spend",
        "impressions",
        "clicks",
        "cpc",
        "cpm",
        "cac",
        "roas",
        "revenue_basis",
    ).order_by(*keys)


@dataclass(frozen=True)
class ChannelReport:
    """Channel performance over a period, with totals and data notes.

    Attributes
    ----------
    period, by
        What was asked.
    rows
        :func:`channel_table` executed (Arrow).
    totals
        ``sessions, orders, revenue, new_customers, spend`` over all rows, ``mer`` (blended
        marketing efficiency ratio = revenue / spend) and ``blended_cac`` (spend / new
        customers); null when undefined.
    notes
        Data issues found: sessions without UTM tags, spend without sessions (and the
        reverse), missing spend values.
    """

    period: DateRange
    by: ChannelGrain
    rows: pa.Table
    totals: dict[str, float | int | None]
    notes: tuple[str, ...]


def channel_report(
    wh: Warehouse,
    period: DateRange,
    *,
    by: ChannelGrain = "channel",
    rules: ChannelRules | None = None,
) -> ChannelReport:
    """Run :func:`channel_table` and add totals (blended MER, CAC) and data notes."""
    missing = check_spend(wh, period)
    table = rules or load_channel_rules()
    rows = channel_table(wh, period, by=by, rules=table).to_pyarrow()
    per_channel = (
        rows
        if by == "channel"
        else channel_table(wh, period, by="channel", rules=table).to_pyarrow()
    )
    data: list[dict[str, Any]] = per_channel.to_pylist()
    revenue = sum(float(r["revenue"] or 0.0) for r in data)
    spend = sum(float(r["spend"]) for r in data)
    new = sum(int(r["new_customers"] or 0) for r in data)
    totals: dict[str, float | int | None] = {
        "sessions": sum(int(r["sessions"]) for r in data),
        "orders": sum(int(r["orders"] or 0) for r in data),
        "revenue": revenue,
        "new_customers": new,
        "spend": spend,
        "mer": revenue / spend if spend > 0 else None,
        "blended_cac": spend / new if new > 0 else None,
    }
    notes = list(_notes(wh, period, data, table))
    if missing:
        notes.append(
            f"{missing:,} ad_spend row(s) have no spend value; they count as 0. Fill them in "
            "the source to make CPC, CAC and ROAS complete."
        )
    return ChannelReport(period, by, rows, totals, tuple(notes))


def _notes(
    wh: Warehouse, period: DateRange, rows: list[dict[str, Any]], rules: ChannelRules
) -> list[str]:
    notes: list[str] = []
    s = sessions(wh, rules=rules, period=period)
    untagged = s.filter(
        s.source.isnull() & s.medium.isnull() & s.campaign.isnull() & s.referrer.isnull()
    ).count()
    n_untagged = int(untagged.to_pyarrow().as_py())
    total = sum(int(r["sessions"]) for r in rows)
    if total == 0:
        notes.append(
            "No sessions in the period: the events table is empty here, so sessions, "
            "conversion rate and session revenue are 0."
        )
    elif n_untagged:
        notes.append(
            f"{n_untagged:,} of {total:,} sessions ({n_untagged / total:.0%}) have no UTM tags "
            "and no referrer; they count as direct."
        )
    for r in rows:
        if r["spend"] > 0 and r["sessions"] == 0 and total > 0:
            notes.append(
                f"ad_spend channel {r['channel']!r} has spend {r['spend']:,.2f} but no "
                f"sessions: its name matches no channel of the grouping table "
                f"({', '.join(rules.channels)}). Rename it in ad_spend or add a rule."
            )
        if r["spend"] == 0 and r["sessions"] > 0 and str(r["channel"]).startswith("paid"):
            notes.append(
                f"Channel {r['channel']!r} has {r['sessions']:,} sessions but no ad_spend "
                "rows: CPC, CAC and ROAS are undefined. Load its spend into ad_spend."
            )
    return notes
