"""Serving: look up precomputed lists, with cold-start fallbacks; export for e-mail campaigns.

Lookups read the lists written by :func:`~.build.build_recommendations` from the
in-process :class:`~.index.ServingIndex` (loaded once per process, reloaded after a new build)
and never fit or query anything, so they answer in microseconds. Unknown customers and SKUs
are not errors: they get a fallback list and ``source`` says which one.

* customer with a personal list -> ``personal``
* unknown or new customer -> ``fallback:trending`` (recency-weighted best-sellers)
* SKU with a list of the requested kind -> that list
* SKU without one (new item, no co-occurrence yet) but with a known category ->
  ``fallback:category-trending``; otherwise ``fallback:trending``
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

import ibis
import pyarrow.csv as pacsv

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.storefront.recommend.cache import serving_index
from shopscope.storefront.recommend.index import Row, ServingIndex, not_built

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from shopscope.warehouse.connection import Warehouse

__all__ = [
    "CampaignExport",
    "ItemList",
    "Recommendations",
    "RecommendedItem",
    "campaign_rows",
    "export_campaign",
    "recommend_for_item",
    "recommend_for_user",
    "trending_list",
]

ItemList = Literal["bought_together", "also_viewed", "similar"]
_ITEM_LISTS: tuple[str, ...] = get_args(ItemList)


@dataclass(frozen=True)
class RecommendedItem:
    """One recommended SKU with its display fields."""

    rank: int
    sku: str
    title: str | None
    category: str | None
    price: float | None
    score: float


@dataclass(frozen=True)
class Recommendations:
    """A served list: for whom (``subject``), which list, where it came from, the items."""

    subject: str
    subject_kind: Literal["customer", "sku"]
    list: str
    source: str
    items: tuple[RecommendedItem, ...]
    built_at: datetime | None


@dataclass(frozen=True)
class CampaignExport:
    """What :func:`export_campaign` wrote."""

    path: str
    customers: int
    rows: int
    personal: int
    fallback: int


def _check_k(k: object) -> int:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= 200:
        raise InvalidInputError(f"k={k!r}: use an integer in 1..200.")
    return k


def _table(wh: Warehouse, name: str) -> ir.Table:
    if not wh.has_table(name):
        raise NotFoundError(not_built(wh, name))
    return wh.table(name)


def _items(rows: list[Row]) -> tuple[RecommendedItem, ...]:
    return tuple(
        RecommendedItem(n + 1, sku, title, category, price, score)
        for n, (sku, title, category, price, score) in enumerate(rows)
    )


def _index(wh: Warehouse | None, index: ServingIndex | None) -> ServingIndex:
    if index is not None:
        return index
    if wh is None:
        raise InvalidInputError("Give a warehouse or a ServingIndex to look the lists up in.")
    return serving_index(wh)


def recommend_for_user(
    wh: Warehouse | None, customer_id: str, *, k: int = 10, index: ServingIndex | None = None
) -> Recommendations:
    """The customer's precomputed list, or the trending fallback for an unknown customer.

    Served from ``index`` (default: the process-wide :func:`~.index.serving_index` of ``wh``,
    loaded once and reloaded after a new build): no warehouse query per lookup. ``wh`` may be
    None when ``index`` is given.
    """
    _check_k(k)
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise InvalidInputError(f"customer_id={customer_id!r}: give a non-empty customer id.")
    idx = _index(wh, index)
    items = _items(idx.user(customer_id, k))
    if items:
        return Recommendations(customer_id, "customer", "personal", "personal", items, idx.built_at)
    items = _items(idx.trending(k))
    return Recommendations(
        customer_id, "customer", "personal", "fallback:trending", items, idx.built_at
    )


def recommend_for_item(
    wh: Warehouse | None,
    sku: str,
    *,
    kind: ItemList = "bought_together",
    k: int = 10,
    index: ServingIndex | None = None,
) -> Recommendations:
    """Related SKUs of ``kind``; falls back to the category's trending items, then trending."""
    _check_k(k)
    if kind not in _ITEM_LISTS:
        raise InvalidInputError(f"Unknown list {kind!r}; allowed: {', '.join(_ITEM_LISTS)}.")
    if not isinstance(sku, str) or not sku.strip():
        raise InvalidInputError(f"sku={sku!r}: give a non-empty SKU.")
    idx = _index(wh, index)
    items = _items(idx.item(sku, kind, k))
    if items:
        return Recommendations(sku, "sku", kind, kind, items, idx.built_at)
    category = idx.category(sku)
    if category is not None:
        items = _items(idx.trending(k, category=category, exclude=sku))
        if items:
            return Recommendations(
                sku, "sku", kind, "fallback:category-trending", items, idx.built_at
            )
    items = _items(idx.trending(k, exclude=sku))
    return Recommendations(sku, "sku", kind, "fallback:trending", items, idx.built_at)


def trending_list(
    wh: Warehouse | None, *, k: int = 10, index: ServingIndex | None = None
) -> Recommendations:
    """The top ``k`` of the trending list (the cold-start list)."""
    _check_k(k)
    idx = _index(wh, index)
    items = _items(idx.trending(k))
    return Recommendations("", "customer", "trending", "trending", items, idx.built_at)


def campaign_rows(wh: Warehouse, *, k: int = 5, opt_in_only: bool = True) -> ir.Table:
    """One row per (customer, rank) for e-mail: personal lists, trending for the rest.

    Customers come from ``customers`` (only ``email_opt_in`` true ones when ``opt_in_only``).
    Columns: customer_id, rank, sku, title, category, price, score, source.
    """
    _check_k(k)
    customers = wh.table("customers")
    if opt_in_only:
        customers = customers.filter(customers.email_opt_in.fill_null(False))
    who = customers.select("customer_id").distinct()
    topk = _table(wh, "reco_user_topk")
    personal = topk.filter(topk["rank"] <= k).semi_join(who, "customer_id")
    cols = ("rank", "sku", "title", "category", "price", "score")
    personal = personal.select("customer_id", *cols, source=ibis.literal("personal"))
    cold = who.anti_join(topk.select("customer_id").distinct(), "customer_id")
    pop = _table(wh, "reco_popular")
    trend = pop.filter((pop.list == "trending") & (pop["rank"] <= k)).select(*cols)
    filler = cold.cross_join(trend).select(
        "customer_id", *cols, source=ibis.literal("fallback:trending")
    )
    rows = ibis.union(personal, filler, distinct=False)
    return rows.order_by(["customer_id", "rank"])


def export_campaign(
    wh: Warehouse, path: str | Path, *, k: int = 5, opt_in_only: bool = True
) -> CampaignExport:
    """Write :func:`campaign_rows` as CSV (UTF-8, header) to ``path``."""
    data = campaign_rows(wh, k=k, opt_in_only=opt_in_only).to_pyarrow()
    target = Path(path)
    if target.is_dir():
        raise InvalidInputError(
            f"{target} is a directory; give a file path such as {target}/reco.csv."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(data, target)
    source = data.column("source").to_pylist()
    firsts = [s for s, r in zip(source, data.column("rank").to_pylist(), strict=True) if r == 1]
    return CampaignExport(
        path=str(target),
        customers=len(firsts),
        rows=data.num_rows,
        personal=sum(1 for s in firsts if s == "personal"),
        fallback=sum(1 for s in firsts if s != "personal"),
    )
