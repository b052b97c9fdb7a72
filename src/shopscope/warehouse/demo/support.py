"""Customer-service tickets in English and Chinese, most about a real order of the customer.

A sale order opens a ticket with probability ``ticket_rate`` (plus 0.35 when it was later
returned and 0.10 when cancelled); a returned order's ticket is about a return, an exchange or a
complaint. Pre-sales product questions arrive without an order. Language follows the shipping
country (Chinese customers write in Chinese 90% of the time). Texts are filled templates per
intent; most quote the order id and the first product of the order.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.warehouse.demo.catalog import Catalog
from shopscope.warehouse.demo.columns import canonical_table, format_ids, timestamps, vocab_take
from shopscope.warehouse.demo.customers import CustomerChunk
from shopscope.warehouse.demo.orders import OrderChunk
from shopscope.warehouse.demo.params import DemoParams
from shopscope.warehouse.demo.timeline import US_PER_DAY, Timeline

__all__ = ["INTENTS", "TEMPLATES", "TicketCounter", "build_tickets"]

IntArray = npt.NDArray[np.int64]

INTENTS = ("order_status", "shipping_time", "return_refund", "exchange", "product_question",
           "payment", "complaint")  # fmt: skip
_BASE_MIX = (0.30, 0.25, 0.08, 0.08, 0.12, 0.10, 0.07)
_RETURN_MIX = (0.0, 0.0, 0.60, 0.25, 0.0, 0.0, 0.15)
# Days from the order to the ticket: (low, high) per intent.
_LAG_DAYS = ((1, 6), (1, 8), (5, 20), (5, 20), (0, 3), (0, 1), (3, 15))

# TEMPLATES[language][intent] = ((subject, body), ...); fields: {order}, {product}, {days}.
_EN: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("Where is my order?", "Hi, could you tell me where order {order} is? I ordered the "
         "{product} {days} days ago and haven't had an update."),
        ("Order status", "Hello, what is the status of my order {order}? Thanks."),
    ),
    (
        ("Delivery time", "How long does delivery take? My order {order} with the {product} "
         "still hasn't arrived after {days} days."),
        ("Shipping question", "Hi, when will order {order} be shipped? I need it for a "
         "birthday in {days} days."),
    ),
    (
        ("Refund request", "I returned the {product} from order {order} {days} days ago. "
         "When will I get my refund?"),
        ("Return", "Hi, I'd like to return the {product} (order {order}). It isn't what I "
         "expected. How do I send it back?"),
    ),
    (
        ("Exchange", "Can I exchange the {product} from order {order} for a different colour?"),
        ("Wrong size", "The {product} in order {order} is the wrong size. Could you exchange "
         "it please?"),
    ),
    (
        ("Product question", "Is the {product} suitable as a gift? Does it come gift wrapped?"),
        ("Question about {product}", "Hi, what is the {product} made of, and what are its "
         "dimensions?"),
    ),
    (
        ("Payment problem", "My card was charged twice for order {order}. Please can you "
         "check?"),
        ("Payment failed", "I tried to pay for order {order} but the payment failed. Has it "
         "gone through?"),
    ),
    (
        ("Complaint", "Very disappointed: the {product} in order {order} arrived damaged. "
         "This is the second time."),
        ("Unhappy with service", "I've waited {days} days for a reply about order {order}. "
         "Not good enough."),
    ),
)  # fmt: skip
_ZH: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("订单状态查询", "你好，请问订单 {order} 现在到哪里了？{days} 天前下的单，"
         "还没有物流更新。"),
        ("查询订单", "您好，我的订单 {order} 是什么状态？谢谢。"),
    ),
    (
        ("发货时间", "请问什么时候发货？订单 {order} 里的 {product} 已经等了 {days} 天了。"),
        ("物流咨询", "你好，订单 {order} 大概几天能到上海？"),
    ),
    (
        ("退款申请", "订单 {order} 的 {product} 我 {days} 天前已经寄回，请问什么时候退款？"),
        ("申请退货", "你好，订单 {order} 的 {product} 和描述不符，我想退货，怎么操作？"),
    ),
    (
        ("换货", "订单 {order} 的 {product} 可以换一个颜色吗？"),
        ("尺码不对", "订单 {order} 里的 {product} 尺码不合适，能换货吗？"),
    ),
    (
        ("商品咨询", "请问 {product} 适合送礼吗？有没有礼品包装？"),
        ("咨询 {product}", "你好，{product} 是什么材质的？尺寸多大？"),
    ),
    (
        ("支付问题", "订单 {order} 被重复扣款了，请帮忙查一下。"),
        ("付款失败", "订单 {order} 付款失败了，请问订单还有效吗？"),
    ),
    (
        ("投诉", "订单 {order} 的 {product} 收到时已经破损，非常失望。"),
        ("服务投诉", "关于订单 {order} 的问题已经等了 {days} 天没有回复，太慢了。"),
    ),
)  # fmt: skip
TEMPLATES: dict[str, tuple[tuple[tuple[str, str], ...], ...]] = {"en": _EN, "zh": _ZH}
_LANGS = ("en", "zh")
_CHANNELS = ("email", "chat", "phone", "marketplace", "wechat")
_CHANNEL_MIX = {"GB": (0.45, 0.35, 0.12, 0.08, 0.0), "CN": (0.15, 0.30, 0.05, 0.0, 0.50)}
_TICKET_STATUSES = ("open", "pending", "resolved", "closed")


@dataclass
class TicketCounter:
    """Running ticket number, so ids are unique across chunks."""

    next: int = 0


def _fill(template: str, fields: dict[str, pa.Array], n: int) -> pa.Array:
    """Fill ``template`` for ``n`` rows with vectorised string joins."""
    parts: list[pa.Array | pa.Scalar] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        if literal:
            parts.append(pa.scalar(literal))
        if name is not None:
            parts.append(fields[name])
    if not any(isinstance(p, pa.Array) for p in parts):
        return pa.array([template] * n, pa.string())
    return pc.binary_join_element_wise(*parts, pa.scalar(""))


def build_tickets(
    rng: np.random.Generator,
    customers: CustomerChunk,
    orders: OrderChunk,
    catalog: Catalog,
    timeline: Timeline,
    params: DemoParams,
    counter: TicketCounter,
) -> pa.Table:
    """Tickets raised by one chunk's customers (and its guest orders)."""
    sale = ~orders.is_return
    p = params.ticket_rate + 0.35 * orders.returned + 0.10 * (orders.status == 5)
    rows = np.flatnonzero(sale & (rng.random(orders.n) < p))
    intent = np.where(
        orders.returned[rows],
        rng.choice(len(INTENTS), size=rows.size, p=_RETURN_MIX),
        rng.choice(len(INTENTS), size=rows.size, p=_BASE_MIX),
    )
    lo = np.array([a for a, _ in _LAG_DAYS])[intent]
    hi = np.array([b for _, b in _LAG_DAYS])[intent]
    created = orders.ts_us[rows] + (rng.uniform(lo, hi + 1) * US_PER_DAY).astype(np.int64)
    first_line = np.full(orders.n, -1, dtype=np.int64)
    first_line[orders.line_order[::-1]] = np.arange(orders.line_order.size)[::-1]
    product = orders.line_sku[np.maximum(first_line[rows], 0)]

    # Pre-sales questions from customers, without an order.
    n_pre = int(rng.poisson(params.presale_ticket_rate * orders.n))
    pre_cust = rng.integers(0, customers.n, size=n_pre)
    span = timeline.end_us - customers.first_us[pre_cust]
    pre_created = customers.first_us[pre_cust] + (rng.random(n_pre) * span).astype(np.int64)
    pre_product = rng.integers(0, catalog.n, size=n_pre)

    cust = np.concatenate([orders.customer[rows], pre_cust])
    created = np.concatenate([created, pre_created])
    intent = np.concatenate([intent, np.full(n_pre, INTENTS.index("product_question"))])
    product = np.concatenate([product, pre_product])
    order_row = np.concatenate([rows, np.full(n_pre, -1, dtype=np.int64)])
    depot = np.concatenate([orders.depot[rows], customers.depot[pre_cust]])
    keep = created < timeline.end_us
    cust, created, intent = cust[keep], created[keep], intent[keep]
    product, order_row, depot = product[keep], order_row[keep], depot[keep]
    n = cust.size

    is_cn = np.array([d.country == "CN" for d in params.depots])[depot]
    lang = np.where(is_cn, rng.random(n) < 0.9, rng.random(n) < 0.03).astype(np.int64)
    channel = np.where(
        is_cn,
        rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_MIX["CN"]),
        rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_MIX["GB"]),
    )
    variant = rng.integers(0, 2, size=n)
    fields = {
        "order": orders.ids.take(pa.array(np.maximum(order_row, 0))),
        "product": pa.array(list(catalog.titles), pa.string()).take(pa.array(product)),
        "days": pc.cast(pa.array(rng.integers(2, 15, size=n)), pa.string()),
    }
    # Tickets without an order are product questions, whose templates quote no order id.
    key = (lang * len(INTENTS) + intent) * 2 + variant
    text_parts: list[pa.Array] = []
    subj_parts: list[pa.Array] = []
    positions: list[IntArray] = []
    for k in np.unique(key):
        sel = np.flatnonzero(key == k)
        li, rest = divmod(int(k), len(INTENTS) * 2)
        ii, vi = divmod(rest, 2)
        subject, body = TEMPLATES[_LANGS[li]][ii][vi]
        sub = {f: a.take(pa.array(sel)) for f, a in fields.items()}
        text_parts.append(_fill(body, sub, sel.size))
        subj_parts.append(_fill(subject, sub, sel.size))
        positions.append(sel)
    order = np.argsort(np.concatenate(positions)) if positions else np.zeros(0, np.int64)
    text = (
        pa.concat_arrays(text_parts).take(pa.array(order))
        if text_parts
        else pa.array([], pa.string())
    )
    subject_arr = (
        pa.concat_arrays(subj_parts).take(pa.array(order))
        if subj_parts
        else pa.array([], pa.string())
    )

    resolve = created + (rng.exponential(18.0, n) * 3_600_000_000 + 1_800_000_000).astype(np.int64)
    done = resolve < timeline.end_us
    recent = (timeline.end_us - resolve) < 3 * US_PER_DAY
    status = np.where(done, np.where(recent, 2, 3), rng.integers(0, 2, size=n))
    # first reply: 5 minutes + Exponential(3 h), never after the resolution
    reply = created + (rng.exponential(3.0, n) * 3_600_000_000 + 300_000_000).astype(np.int64)
    reply = np.minimum(reply, resolve)
    replied = reply < timeline.end_us
    cust_safe = np.where(cust >= 0, cust, 0)
    table = canonical_table(
        "tickets",
        {
            "ticket_id": format_ids("T", counter.next + np.arange(n) + 1, 8),
            "customer_id": customers.ids.take(pa.array(cust_safe, mask=cust < 0)),
            "order_id": orders.ids.take(pa.array(np.maximum(order_row, 0), mask=order_row < 0)),
            "created_at": timestamps(created),
            "channel": vocab_take(_CHANNELS, channel),
            "language": vocab_take(_LANGS, lang),
            "subject": subject_arr,
            "text": text,
            "status": vocab_take(_TICKET_STATUSES, status),
            "resolved_at": pa.array(resolve, mask=~done).cast(pa.timestamp("us")),
            "first_response_at": pa.array(reply, mask=~replied).cast(pa.timestamp("us")),
        },
    )
    counter.next += n
    return table
