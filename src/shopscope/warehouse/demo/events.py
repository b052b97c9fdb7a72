"""Behavioural events: sessions, the purchase funnel, UTM tags and the A/B experiment.

Three kinds of session are generated inside the events window (the last ``window_days`` days),
for a random sample of users (``sample_fraction``; 1 for small stores):

* **purchase** sessions, one per order: page_view, product_view (each basket SKU plus extra
  browsing), add_to_cart (each basket line), begin_checkout, experiment_exposure (during the
  test), purchase (carrying the real ``order_id`` and ``revenue = gross - discount``);
* **abandoned** checkouts: control-arm purchases removed by the experiment (see
  :mod:`.orders`), which stop at begin_checkout;
* **browse** sessions, ``Poisson(k)`` per purchase session on the same days, which drop off
  step by step: product_view with ``p_product_view``, add_to_cart with ``p_add_to_cart``,
  begin_checkout with ``p_begin_checkout``. A share of them (``research_share``) belong to the
  buyer of that day (same ``anonymous_id``), the rest to new visitors.

UTM tags, referrer and device are consistent with the session's channel and the visitor's
country, and are repeated on every event of the session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.warehouse.demo.catalog import Catalog
from shopscope.warehouse.demo.columns import (
    canonical_table,
    format_ids,
    join_strings,
    timestamps,
    vocab_take,
)
from shopscope.warehouse.demo.customers import CustomerChunk
from shopscope.warehouse.demo.marketing import campaign_names, fill_campaigns
from shopscope.warehouse.demo.orders import OrderChunk
from shopscope.warehouse.demo.params import ACQUISITION_CHANNELS, DemoParams
from shopscope.warehouse.demo.timeline import US_PER_DAY, US_PER_SECOND, Timeline, sample_seconds

__all__ = ["EventCounters", "build_events"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_TYPES = ("page_view", "search", "product_view", "add_to_cart", "begin_checkout",
          "experiment_exposure", "purchase")  # fmt: skip
_DEVICES = ("desktop", "mobile", "tablet", "app")
# (utm_source, referrer host) pairs
_SOURCES = (
    ("google", "www.google.com"), ("bing", "www.bing.com"), ("baidu", "www.baidu.com"),
    ("facebook", "m.facebook.com"), ("instagram", "l.instagram.com"),
    ("wechat", "weixin.qq.com"), ("xiaohongshu", "www.xiaohongshu.com"),
    ("newsletter", None), ("awin", "www.awin1.com"), ("giftguide.co.uk", "giftguide.co.uk"),
    ("reddit.com", "www.reddit.com"), ("zhihu.com", "www.zhihu.com"),
)  # fmt: skip
# channel -> ((sources and weights for GB), (for CN))
_SOURCE_MIX: dict[str, tuple[tuple[tuple[int, float], ...], tuple[tuple[int, float], ...]]] = {
    "organic_search": (((0, 0.88), (1, 0.12)), ((2, 0.7), (1, 0.3))),
    "paid_search": (((0, 0.85), (1, 0.15)), ((2, 1.0),)),
    "paid_social": (((3, 0.6), (4, 0.4)), ((5, 0.6), (6, 0.4))),
    "email": (((7, 1.0),), ((7, 1.0),)),
    "affiliate": (((8, 1.0),), ((8, 1.0),)),
    "direct": ((), ()),
    "referral": (((9, 0.6), (10, 0.4)), ((11, 1.0),)),
}
_MEDIUM = ("organic", "cpc", "paid_social", "email", "affiliate", None, "referral")
_EMAIL_CAMPAIGNS = ("weekly_newsletter", "winback")
_QUERIES = tuple(
    f'{{"query": "{q}"}}'
    for q in ("tea gift set", "jade necklace", "candle", "teapot", "silk scarf", "红包",
              "christmas gift", "茶具", "notebook", "mahjong")
)  # fmt: skip
_BROWSE_MIX = (0.35, 0.15, 0.15, 0.05, 0.05, 0.2, 0.05)


@dataclass
class EventCounters:
    """Running numbers that keep event, session and visitor ids unique across chunks."""

    event: int = 0
    session: int = 0
    visitor: int = 0


def _take(values: IntArray, idx: IntArray) -> IntArray:
    out: IntArray = values[idx]
    return out


def build_events(
    rng: np.random.Generator,
    customers: CustomerChunk,
    orders: OrderChunk,
    catalog: Catalog,
    timeline: Timeline,
    params: DemoParams,
    *,
    window_first_day: int,
    experiment_first_day: int,
    experiment_id: str,
    sample_fraction: float,
    counters: EventCounters,
) -> pa.Table:
    """Events of one chunk's users in the events window."""
    fp = params.funnel
    win_us = timeline.start_us + window_first_day * US_PER_DAY
    exp_us = timeline.start_us + experiment_first_day * US_PER_DAY
    is_cust = orders.customer >= 0
    safe = np.where(is_cust, orders.customer, 0)
    sampled = np.where(is_cust, customers.sampled[safe], rng.random(orders.n) < sample_fraction)
    p_rows = np.flatnonzero(~orders.is_return & (orders.ts_us >= win_us) & sampled)
    d_cust = orders.dropped_customer
    d_safe = np.where(d_cust >= 0, d_cust, 0)
    d_sampled = np.where(
        d_cust >= 0, customers.sampled[d_safe], rng.random(d_cust.size) < sample_fraction
    )
    d_rows = np.flatnonzero(d_sampled & (orders.dropped_ts_us >= win_us))
    n_p, n_d = p_rows.size, d_rows.size
    n_b = int(rng.poisson(fp.browse_sessions_per_order * n_p)) if n_p else 0
    link = rng.integers(0, max(n_p, 1), size=n_b)
    research = rng.random(n_b) < fp.research_share

    # --- session attributes: purchase | abandoned | browse -----------------------------------
    kind = np.concatenate([np.zeros(n_p, np.int64), np.ones(n_d, np.int64), np.full(n_b, 2)])
    s_cust = np.concatenate([orders.customer[p_rows], d_cust[d_rows], np.full(n_b, -1)])
    link_cust = orders.customer[p_rows][link] if n_p else np.zeros(0, np.int64)
    anon_cust = np.concatenate([s_cust[: n_p + n_d], np.where(research, link_cust, -1)])
    n_s = kind.size
    b_day = ((orders.ts_us[p_rows][link] - timeline.start_us) // US_PER_DAY) if n_p else link
    depot_all = np.concatenate(
        [
            orders.depot[p_rows],
            customers.depot[d_safe[d_rows]],
            np.where(
                research & (link_cust >= 0),
                orders.depot[p_rows][link] if n_p else link,
                rng.choice(len(params.depots), size=n_b, p=[d.share for d in params.depots]),
            ),
        ]
    )
    is_cn = np.array([d.country == "CN" for d in params.depots])[depot_all]
    b_ts = timeline.to_us(b_day, sample_seconds(rng, n_b, np.where(is_cn[n_p + n_d :], 8, 0)))
    anchor = np.concatenate([orders.ts_us[p_rows], orders.dropped_ts_us[d_rows], b_ts])
    b_channel = rng.choice(len(ACQUISITION_CHANNELS), size=n_b, p=_BROWSE_MIX)
    channel = np.concatenate([orders.channel[p_rows], orders.dropped_channel[d_rows], b_channel])
    campaign = np.concatenate(
        [orders.campaign[p_rows], orders.dropped_campaign[d_rows], np.full(n_b, -1)]
    )
    campaign = fill_campaigns(rng, channel, campaign, params.acquisition.paid, ACQUISITION_CHANNELS)
    device = np.concatenate(
        [
            orders.device[p_rows],
            orders.dropped_device[d_rows],
            rng.choice(4, n_b, p=[0.38, 0.48, 0.08, 0.06]),
        ]
    )
    c_safe = np.where(anon_cust >= 0, anon_cust, 0)
    treat = np.where(
        anon_cust >= 0,
        customers.treatment[c_safe],
        np.concatenate([orders.treatment[p_rows], np.zeros(n_d, bool), rng.random(n_b) < 0.5]),
    )

    # --- funnel depth ----------------------------------------------------------------------
    b_view = rng.random(n_b) < fp.p_product_view
    b_cart = b_view & (rng.random(n_b) < fp.p_add_to_cart)
    b_checkout = b_cart & (rng.random(n_b) < fp.p_begin_checkout)
    search = np.concatenate([np.zeros(n_p + n_d, bool), rng.random(n_b) < fp.p_search])
    checkout = np.concatenate([np.ones(n_p + n_d, bool), b_checkout])
    exposed = checkout & (anchor >= exp_us)

    # Basket SKUs: the order's product lines for purchases, random popular SKUs otherwise.
    row_to_session = np.full(orders.n, -1, dtype=np.int64)
    row_to_session[p_rows] = np.arange(n_p)
    line_session = row_to_session[orders.line_order]
    keep = (line_session >= 0) & (orders.line_qty > 0)
    a_counts = 1 + rng.poisson(params.orders.extra_lines_mean, n_d)
    basket_session = np.concatenate(
        [line_session[keep], np.repeat(np.arange(n_p, n_p + n_d), a_counts),
         np.flatnonzero(b_cart) + n_p + n_d]
    )  # fmt: skip
    basket_sku = np.concatenate(
        [orders.line_sku[keep], _popular(rng, catalog, int(a_counts.sum() + b_cart.sum()))]
    )
    extra = rng.poisson(fp.extra_views_mean, n_s)
    extra = np.where(
        kind == 2,
        np.where(np.concatenate([np.zeros(n_p + n_d, bool), b_view]), 1 + extra, 0),
        extra,
    )
    view_session = np.concatenate([basket_session, np.repeat(np.arange(n_s), extra)])
    view_sku = np.concatenate([basket_sku, _popular(rng, catalog, int(extra.sum()))])
    o = np.argsort(view_session, kind="stable")
    view_session, view_sku = view_session[o], view_sku[o]
    n_views = np.bincount(view_session, minlength=n_s)
    n_carts = np.bincount(basket_session, minlength=n_s)
    view_rank = np.arange(view_session.size) - np.searchsorted(view_session, view_session)
    o = np.argsort(basket_session, kind="stable")
    basket_session, basket_sku = basket_session[o], basket_sku[o]
    cart_rank = np.arange(basket_session.size) - np.searchsorted(basket_session, basket_session)

    base_view = 1 + search.astype(np.int64)
    base_cart = base_view + n_views
    checkout_step = base_cart + n_carts
    gap = rng.integers(20, 120, n_s) * US_PER_SECOND
    start = np.where(kind == 0, anchor - (checkout_step + 1) * gap,
                     np.where(kind == 1, anchor - checkout_step * gap, anchor))  # fmt: skip
    # Keep every session inside the history.
    start = np.minimum(start, timeline.end_us - 1 - (checkout_step + 1) * gap - US_PER_SECOND)

    # --- events ----------------------------------------------------------------------------
    s_all = np.arange(n_s)
    s_chk, s_exp = np.flatnonzero(checkout), np.flatnonzero(exposed)
    s_search, s_pur = np.flatnonzero(search), np.arange(n_p)
    ev_session = np.concatenate(
        [s_all, s_search, view_session, basket_session, s_chk, s_exp, s_pur]
    )
    ev_type = np.concatenate([
        np.zeros(n_s, np.int64), np.full(s_search.size, 1), np.full(view_session.size, 2),
        np.full(basket_session.size, 3), np.full(s_chk.size, 4), np.full(s_exp.size, 5),
        np.full(n_p, 6),
    ])  # fmt: skip
    ev_step = np.concatenate([
        np.zeros(n_s, np.int64), np.ones(s_search.size, np.int64),
        base_view[view_session] + view_rank, base_cart[basket_session] + cart_rank,
        checkout_step[s_chk], checkout_step[s_exp], checkout_step[s_pur] + 1,
    ])  # fmt: skip
    ev_sku = np.concatenate([
        np.full(n_s + s_search.size, -1), view_sku, basket_sku,
        np.full(s_chk.size + s_exp.size + n_p, -1),
    ])  # fmt: skip
    ev_us = start[ev_session] + ev_step * gap[ev_session]
    ev_us = ev_us + np.where(ev_type == 5, US_PER_SECOND, 0)
    n_ev = ev_session.size

    # --- string columns --------------------------------------------------------------------
    session_ids = format_ids("S", counters.session + s_all + 1, 10)
    counters.session += n_s
    new_visitor = anon_cust < 0
    visitor_no = np.cumsum(new_visitor) + counters.visitor
    counters.visitor += int(new_visitor.sum())
    anon = np.where(anon_cust >= 0, customers.first + c_safe + 1, visitor_no)
    prefix = vocab_take(("A", "V"), new_visitor.astype(np.int64))
    anon_ids = join_strings(prefix, pc.utf8_lpad(pc.cast(pa.array(anon), pa.string()), 9, "0"))
    cust_ids = customers.ids.take(pa.array(np.where(s_cust >= 0, s_cust, 0), mask=s_cust < 0))
    source = _sources(rng, channel, is_cn)
    src_vocab = [s for s, _ in _SOURCES]
    ref_vocab = [r for _, r in _SOURCES]
    names = campaign_names(params.acquisition.paid)
    email = channel == ACQUISITION_CHANNELS.index("email")
    camp_code = np.where(email, len(names) + (rng.random(n_s) < 0.2).astype(np.int64), campaign)
    ev_idx = pa.array(ev_session)
    gross = orders.gross_cents[p_rows] - orders.discount_cents[p_rows]
    revenue = np.full(n_ev, np.nan)
    is_pur = ev_type == 6
    revenue[is_pur] = gross[ev_session[is_pur]] / 100.0
    order_idx = np.where(is_pur, p_rows[np.minimum(ev_session, max(n_p - 1, 0))] if n_p else -1, -1)
    carries_variant = (ev_type == 5) | (is_pur & exposed[ev_session])
    sku_vocab = list(catalog.sku_list)
    props = np.where(ev_type == 1, rng.integers(0, len(_QUERIES), n_ev), -1)
    table = canonical_table(
        "events",
        {
            "event_id": format_ids("E", counters.event + np.arange(n_ev) + 1, 11),
            "occurred_at": timestamps(ev_us),
            "anonymous_id": anon_ids.take(ev_idx),
            "customer_id": cust_ids.take(ev_idx),
            "session_id": session_ids.take(ev_idx),
            "event_type": vocab_take(_TYPES, ev_type),
            "sku": vocab_take(sku_vocab, ev_sku),
            "order_id": orders.ids.take(pa.array(np.maximum(order_idx, 0), mask=order_idx < 0)),
            "revenue": pa.array(revenue, mask=~is_pur),
            "utm_source": vocab_take(src_vocab, source[ev_session]),
            "utm_medium": vocab_take(_MEDIUM, channel[ev_session]),
            "utm_campaign": vocab_take([*names, *_EMAIL_CAMPAIGNS], camp_code[ev_session]),
            "referrer": vocab_take(ref_vocab, source[ev_session]),
            "device": vocab_take(_DEVICES, device[ev_session]),
            "experiment_id": vocab_take([experiment_id], np.where(carries_variant, 0, -1)),
            "variant": vocab_take(
                ["control", "treatment"],
                np.where(carries_variant, treat[ev_session].astype(np.int64), -1),
            ),
            "properties": vocab_take(_QUERIES, props),
        },
    )
    counters.event += n_ev
    return table


def _popular(rng: np.random.Generator, catalog: Catalog, n: int) -> IntArray:
    """``n`` SKUs drawn by Zipf popularity."""
    cum = np.cumsum(catalog.popularity)
    out: IntArray = np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1]), catalog.n - 1)
    return out


def _sources(rng: np.random.Generator, channel: IntArray, is_cn: BoolArray) -> IntArray:
    """Index into ``_SOURCES`` per session (``-1`` for direct traffic)."""
    out = np.full(channel.size, -1, dtype=np.int64)
    for ci, name in enumerate(ACQUISITION_CHANNELS):
        for cn, mix in enumerate(_SOURCE_MIX[name]):
            if not mix:
                continue
            mask = (channel == ci) & (is_cn == bool(cn))
            idx = np.array([m[0] for m in mix])
            w = np.array([m[1] for m in mix])
            out[mask] = idx[rng.choice(idx.size, size=int(mask.sum()), p=w / w.sum())]
    return out
