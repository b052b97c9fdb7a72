"""Catalog quality audit for content editors: each listing problem becomes a task.

Checks on every product SKU (``item_kind = 'product'``), computed in the engine:

=========================  =================================================================
code                       rule
=========================  =================================================================
missing_description        description is null or blank
short_description          description shorter than ``min_description`` characters (80)
missing_images             image_count is null or 0
missing_attributes         attributes null, blank or ``{}``
duplicate_title            another SKU has the same title (case and spaces ignored)
price_below_cost           price < unit_cost
missing_search_terms       the title contains none of its category's high-converting search
                           terms (below)
=========================  =================================================================

High-converting search terms: for every search event with a ``query`` property, the categories
of the products viewed later in the same session; a (category, term) pair converts when that
session adds a product of the category to the cart. A term belongs to a category when its
searches lead to that category at least 1.5 times as often as searches in general do (affinity
``P(category | term) / P(category) >= 1.5``); among those, terms with at least ``min_searches``
searches and a conversion rate at or above the category's rate are the category's
high-converting terms (top ``top_terms`` by conversions). A shop whose search terms carry no
category signal gets no terms and no ``missing_search_terms`` issues.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ibis

from shopscope.errors import InvalidInputError

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["CHECKS", "CatalogAudit", "CatalogIssue", "audit_catalog"]

CHECKS: dict[str, str] = {
    "missing_description": "Write a description: what it is, material, size, care, delivery.",
    "short_description": "Extend the description to at least {min} characters.",
    "missing_images": "Add product photos (at least 3: front, detail, in use).",
    "missing_attributes": "Fill in the attributes (colour, material, size).",
    "duplicate_title": "Make the title unique; shared with {others}.",
    "price_below_cost": "Price {price:.2f} is below unit cost {cost:.2f}; fix the price or cost.",
    "missing_search_terms": "Add one of the category's converting search terms: {terms}.",
}
"""Check code → the fix, as shown on the task."""


@dataclass(frozen=True)
class CatalogIssue:
    """One problem of one listing."""

    sku: str
    title: str | None
    category: str | None
    code: str
    fix: str


@dataclass(frozen=True)
class CatalogAudit:
    """All issues, the number of products checked and each category's converting terms."""

    products: int
    issues: tuple[CatalogIssue, ...]
    search_terms: dict[str, tuple[str, ...]]

    def counts(self) -> dict[str, int]:
        """Issues per check code (every code present, zero when clean)."""
        out = dict.fromkeys(CHECKS, 0)
        for issue in self.issues:
            out[issue.code] += 1
        return out


def audit_catalog(
    wh: Warehouse,
    *,
    min_description: int = 80,
    min_searches: int = 20,
    top_terms: int = 3,
) -> CatalogAudit:
    """Run every check of :data:`CHECKS` over the ``products`` table."""
    if min_description < 1 or min_searches < 1 or top_terms < 1:
        raise InvalidInputError("min_description, min_searches and top_terms must be >= 1.")
    p = wh.table("products")
    p = p.filter(p.item_kind.isnull() | (p.item_kind == "product"))
    norm = p.title.lower().strip().re_replace(r"\s+", " ")
    p = p.mutate(norm_title=norm)
    dup = p.group_by("norm_title").aggregate(n_title=p.sku.count())
    rows = (
        p.left_join(dup, "norm_title")
        .select("sku", "title", "category", "description", "image_count", "attributes", "price",
                "unit_cost", "norm_title", "n_title")
        .order_by("sku")
        .to_pyarrow()
        .to_pylist()
    )  # fmt: skip
    terms = _converting_terms(wh, min_searches, top_terms)
    by_title: dict[str, list[str]] = {}
    for r in rows:
        by_title.setdefault(r["norm_title"] or "", []).append(r["sku"])
    issues: list[CatalogIssue] = []
    for r in rows:
        for code, fix in _problems(r, min_description, terms, by_title):
            issues.append(CatalogIssue(r["sku"], r["title"], r["category"], code, fix))
    return CatalogAudit(len(rows), tuple(issues), terms)


def _problems(
    r: dict[str, object],
    min_description: int,
    terms: dict[str, tuple[str, ...]],
    by_title: dict[str, list[str]],
) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    desc = str(r["description"] or "").strip()
    if not desc:
        out.append(("missing_description", CHECKS["missing_description"]))
    elif len(desc) < min_description:
        out.append(("short_description", CHECKS["short_description"].format(min=min_description)))
    if not r["image_count"]:
        out.append(("missing_images", CHECKS["missing_images"]))
    if str(r["attributes"] or "").strip() in ("", "{}", "null"):
        out.append(("missing_attributes", CHECKS["missing_attributes"]))
    n_title = r["n_title"]
    if isinstance(n_title, int) and n_title > 1:
        others = [s for s in by_title[str(r["norm_title"] or "")] if s != r["sku"]]
        out.append(("duplicate_title", CHECKS["duplicate_title"].format(others=", ".join(others))))
    price, cost = r["price"], r["unit_cost"]
    if isinstance(price, float) and isinstance(cost, float) and price < cost:
        out.append(("price_below_cost", CHECKS["price_below_cost"].format(price=price, cost=cost)))
    wanted = terms.get(str(r["category"]), ())
    title = str(r["title"] or "").lower()
    if wanted and not any(t in title for t in wanted):
        out.append(("missing_search_terms", CHECKS["missing_search_terms"].format(
            terms=", ".join(wanted))))  # fmt: skip
    return out


def _converting_terms(
    wh: Warehouse, min_searches: int, top: int, min_affinity: float = 1.5
) -> dict[str, tuple[str, ...]]:
    """Category → its high-converting search terms (lower case), best first."""
    if not wh.has_table("events"):
        return {}
    e = wh.table("events")
    products = wh.table("products").select("sku", "category")
    searches = e.filter(
        (e.event_type == "search") & e.session_id.notnull() & e.properties.notnull()
    ).select(
        "session_id",
        searched_at=e.occurred_at,
        term=e.properties.re_extract(r'"query"\s*:\s*"([^"]+)"', 1).lower().strip(),
    )
    searches = searches.filter(searches.term.notnull() & (searches.term != ""))
    acts = e.filter(e.event_type.isin(["product_view", "add_to_cart"]) & e.sku.notnull())
    acts = acts.inner_join(products, "sku").select(
        "session_id", "category", "event_type", acted_at=acts.occurred_at
    )
    joined = searches.inner_join(
        acts,
        (searches.session_id == acts.session_id) & (acts.acted_at >= searches.searched_at),
    )
    pairs = joined.group_by(["session_id", "searched_at", "term", "category"]).aggregate(
        converted=(joined.event_type == "add_to_cart").any().cast("int64")
    )
    stats = pairs.group_by(["category", "term"]).aggregate(
        searches=pairs.converted.count(), conversions=pairs.converted.sum()
    )
    cat = stats.group_by("category").aggregate(
        cat_rate=stats.conversions.sum() / stats.searches.sum(), cat_searches=stats.searches.sum()
    )
    per_term = stats.group_by("term").aggregate(term_searches=stats.searches.sum())
    total = stats.aggregate(all_searches=stats.searches.sum())
    good = stats.inner_join(cat, "category").inner_join(per_term, "term").cross_join(total)
    affinity = (good.searches / good.term_searches) / (good.cat_searches / good.all_searches)
    good = good.filter(
        (good.searches >= min_searches)
        & (affinity >= min_affinity)
        & (good.conversions / good.searches >= good.cat_rate)
        & (good.conversions > 0)
    )
    ranked = good.mutate(
        rank=ibis.row_number().over(
            group_by=good.category, order_by=[good.conversions.desc(), good.term]
        )
    )
    rows = ranked.filter(ranked.rank < top).order_by(["category", "rank"]).to_pyarrow().to_pylist()
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["category"], []).append(r["term"])
    return {k: tuple(v) for k, v in out.items()}
