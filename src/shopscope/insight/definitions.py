"""Definitions every insight module shares, so their numbers agree.

A *sale order* is an order whose status is not one of :data:`REVERSAL_STATUSES` and whose goods
value is positive; *goods* are lines whose product's ``item_kind`` is one of
:data:`GOODS_KINDS` (or whose SKU has no products row). See ``docs/methods/kpis.md``.
"""

from __future__ import annotations

__all__ = ["GOODS_KINDS", "NONE_MEMBER", "REVERSAL_STATUSES"]

REVERSAL_STATUSES = ("cancelled", "returned", "refunded")
"""Order statuses that undo a sale: such orders are never sale orders."""

GOODS_KINDS = ("product", "gift_card")
"""``products.item_kind`` values that count as goods (revenue), not fees or shipping."""

NONE_MEMBER = "(none)"
"""How a missing breakdown value (null channel, device, ...) is shown."""
