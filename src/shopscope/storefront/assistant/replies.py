"""Reply templates in English and Chinese. Every fact in a reply comes from the warehouse.

Nothing here promises what the data does not show: no delivery dates are estimated, and a
status is described only by what it means in the canonical data model.
"""

from __future__ import annotations

from shopscope.storefront.assistant.orders import OrderFacts

__all__ = ["handoff_reply", "not_found_reply", "order_reply"]

_STATUS = {
    "placed": ("has been placed and is waiting for payment", "已下单，等待付款"),
    "paid": ("has been paid and is being prepared for dispatch", "已付款，正在备货"),
    "shipped": ("has been shipped and is on its way", "已发货，正在运输途中"),
    "delivered": ("has been delivered", "已送达"),
    "completed": ("is complete (delivered)", "已完成（已送达）"),
    "cancelled": ("was cancelled", "已取消"),
    "returned": ("was returned", "已退货"),
    "refunded": ("was refunded", "已退款"),
}
MAX_LISTED = 3


def _items(facts: OrderFacts, language: str) -> str:
    shown = [line for line in facts.lines if line.quantity > 0][:MAX_LISTED]
    names = [f"{line.quantity} × {line.title or line.sku}" for line in shown]
    more = facts.line_count - len(shown)
    if language == "zh":
        text = "、".join(names)
        return text + (f" 等共 {facts.line_count} 件商品" if more > 0 else "")
    text = ", ".join(names)
    return text + (f" and {more} more line(s)" if more > 0 else "")


def order_reply(facts: OrderFacts, language: str) -> str:
    """The status of an order, its date and items, in ``language`` (``zh`` or English)."""
    en, zh = _STATUS.get(facts.status, (f"has status '{facts.status}'", f"状态为“{facts.status}”"))
    day = facts.ordered_at.date().isoformat()
    items = _items(facts, language)
    if language == "zh":
        text = f"您的订单 {facts.order_id}（{day} 下单）{zh}。"
        return text + (f"商品：{items}。" if items else "")
    text = f"Your order {facts.order_id}, placed on {day}, {en}."
    return text + (f" Items: {items}." if items else "")


def not_found_reply(order_id: str, language: str) -> str:
    """No order ``order_id`` for this customer (same words whether it exists for someone else)."""
    if language == "zh":
        return (
            f"没有在您的账户中找到订单 {order_id}。请核对订单号（可在确认邮件中找到），"
            "或转人工客服为您查询。"
        )
    return (
        f"I couldn't find order {order_id} in your account. Please check the order number "
        "(it is in your confirmation e-mail), or I can pass you to a colleague."
    )


def handoff_reply(language: str, *, reason: str) -> str:
    """The message when a person takes over: ``complaint``, ``human_handoff`` or another reason."""
    zh = {
        "complaint": "非常抱歉给您带来不好的体验。已为您转接人工客服，我们会尽快处理。",
        "human_handoff": "好的，已为您转接人工客服，请稍候。",
    }
    en = {
        "complaint": (
            "I'm sorry about your experience. I've passed your message to a colleague who "
            "will get back to you as soon as possible."
        ),
        "human_handoff": "Of course, I've passed you to a colleague, who will reply shortly.",
    }
    if language == "zh":
        return zh.get(reason, "这个问题我暂时无法准确回答，已为您转接人工客服。")
    return en.get(
        reason, "I'm not sure I can answer that correctly, so I've passed it to a colleague."
    )
