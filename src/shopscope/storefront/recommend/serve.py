"""Serving: look up precomputed lists, with cold-start fallbacks; export for e-mail campaigns.

Lookups read the tables written by
:func:`~shopscope.storefront.recommend.build.build_recommendations` and never fit anything,
so they answer in milliseconds. Unknown customers and SKUs are not errors: they get a
fallback list and ``source`` says which one.

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
from typing import TYPE_CHECKING, Any, Literal, get_args

import ibis
import pyarrow.csv as pacsv

from shopscope.errors import InvalidInputError, NotFoundError

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
        raise NotFoundError(_not_built(wh, name))
    return wh.table(name)


def _not_built(wh: Warehouse, name: str) -> str:
    return (
        f"Recommendation table {name!r} does not exist in {wh.url}: the lists have not been "
        "built. Run `shopscope recommend build` (or build_recommendations(wh)) first."
    )


# A lookup is one point read on the key, which the build indexed (DuckDB ART index). On DuckDB
# the statement is sent as parameterised SQL, because compiling an Ibis expression per request
# costs more than the read itself (the 10 ms p99 target); other backends take the equivalent
# Ibis expression. Rows are ordered and cut to k here: a list holds at most 200 rows, and an
# ORDER BY ... LIMIT makes DuckDB plan a top-N with a late-materialisation join, several times
# slower than the plain filtered read.
_COLUMNS = "rank, sku, score, built_at, title, category, price"
_SQL = {
    "user": f"SELECT {_COLUMNS} FROM reco_user_topk WHERE customer_id = $key",
    "item": "SELECT rank, related_sku AS sku, score, built_at, title, category, price "
    "FROM reco_item_topk WHERE sku = $key AND list = $list",
    "popular": f"SELECT {_COLUMNS} FROM reco_popular WHERE list = 'trending' "
    "AND ($category IS NULL OR category = $category) AND sku IS DISTINCT FROM $exclude "
    "AND rank <= $limit",
    "category": "SELECT category FROM products WHERE sku = $key",
}
_TABLE = {
    "user": "reco_user_topk",
    "item": "reco_item_topk",
    "popular": "reco_popular",
    "category": "products",
}


def _lookup(wh: Warehouse, what: str, k: int, **params: str | None) -> list[dict[str, Any]]:
    """Rows (rank, sku, score, built_at, title, category, price) of one list, best first."""
    if wh.backend_name == "duckdb":
        import duckdb

        args: dict[str, object] = dict(params)
        if what == "popular":
            # without a category filter the first k + 1 ranks suffice (one may be excluded)
            args["limit"] = k + 1 if params.get("category") is None else 2**62
        try:
            cur = wh.duckdb.execute(_SQL[what], args)
        except duckdb.CatalogException:
            raise NotFoundError(_not_built(wh, _TABLE[what])) from None
        names = [d[0] for d in cur.description or ()]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        return sorted(rows, key=lambda r: int(r["rank"]))[:k]
    return _lookup_ibis(wh, what, k, **params)


def _category(wh: Warehouse, sku: str) -> str | None:
    """The SKU's category from ``products`` (None when unknown or not set)."""
    if wh.backend_name == "duckdb":
        found = wh.duckdb.execute(_SQL["category"], {"key": sku}).fetchone()
        return None if found is None else found[0]
    products = wh.table("products")
    rows = products.filter(products.sku == sku).select("category").limit(1).to_pyarrow()
    value: str | None = rows.column("category")[0].as_py() if rows.num_rows else None
    return value


def _lookup_ibis(wh: Warehouse, what: str, k: int, **params: str | None) -> list[dict[str, Any]]:
    """The same lookup as an Ibis expression (any backend)."""
    t = _table(wh, _TABLE[what])
    if what == "user":
        rows = t.filter(t.customer_id == params["key"])
    elif what == "item":
        rows = t.filter((t.sku == params["key"]) & (t.list == params["list"]))
        rows = rows.mutate(sku=rows.related_sku)
    else:
        rows = t.filter(t.list == "trending")
        if params.get("category") is not None:
            rows = rows.filter(rows.category == params["category"])
        if params.get("exclude") is not None:
            rows = rows.filter(rows.sku != params["exclude"])
    top = rows.order_by("rank").limit(k)
    top = top.select("rank", "sku", "score", "built_at", "title", "category", "price")
    out: list[dict[str, Any]] = top.to_pyarrow().sort_by("rank").to_pylist()
    return out


def _items(rows: list[dict[str, Any]]) -> tuple[tuple[RecommendedItem, ...], datetime | None]:
    out = tuple(
        RecommendedItem(i + 1, r["sku"], r["title"], r["category"], r["price"], r["score"])
        for i, r in enumerate(rows)
    )
    return out, (rows[0]["built_at"] if rows else None)


def _fallback(
    wh: Warehouse, k: int, *, category: str | None = None, exclude: str | None = None
) -> tuple[tuple[RecommendedItem, ...], datetime | None]:
    return _items(_lookup(wh, "popular", k, category=category, exclude=exclude))


def recommend_for_user(wh: Warehouse, customer_id: str, *, k: int = 10) -> Recommendations:
    """The customer's precomputed list, or the trending fallback for an unknown customer."""
    _check_k(k)
    if not isinstance(customer_id, str) or not customer_id.strip():
        raise InvalidInputError(f"customer_id={customer_id!r}: give a non-empty customer id.")
    items, built = _items(_lookup(wh, "user", k, key=customer_id))
    if items:
        return Recommendations(customer_id, "customer", "personal", "personal", items, built)
    items, built = _fallback(wh, k)
    return Recommendations(customer_id, "customer", "personal", "fallback:trending", items, built)


def recommend_for_item(
    wh: Warehouse, sku: str, *, kind: ItemList = "bought_together", k: int = 10
) -> Recommendations:
    """Related SKUs of ``kind``; falls back to the category's trending items, then trending."""
    _check_k(k)
    if kind not in _ITEM_LISTS:
        raise InvalidInputError(f"Unknown list {kind!r}; allowed: {', '.join(_ITEM_LISTS)}.")
    if not isinstance(sku, str) or not sku.strip():
        raise InvalidInputError(f"sku={sku!r}: give a non-empty SKU.")
    items, built = _items(_lookup(wh, "item", k, key=sku, list=kind))
    if items:
        return Recommendations(sku, "sku", kind, kind, items, built)
    category = _category(wh, sku)
    if category is not None:
        items, built = _fallback(wh, k, category=category, exclude=sku)
        if items:
            return Recommendations(sku, "sku", kind, "fallback:category-trending", items, built)
    items, built = _fallback(wh, k, exclude=sku)
    return Recommendations(sku, "sku", kind, "fallback:trending", items, built)


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
