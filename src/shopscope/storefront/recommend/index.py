"""The in-process serving index: every precomputed list in compact arrays, a lookup is a probe.

:func:`~shopscope.storefront.recommend.build.build_recommendations` writes the lists to the
warehouse; :class:`ServingIndex` reads them once into NumPy arrays:

* one SKU dictionary (sku, title, category, price per code, as denormalised at build time);
* per list table, the rows grouped by key (``customer_id``; ``(sku, list)``; the trending list)
  as SKU codes and scores, and a dict from key to its group.

A lookup is a dict probe and a slice of at most ``k`` rows: no SQL, no warehouse round trip.
Memory is about 8 bytes per list row (int32 code + float32 score when the scores round-trip
exactly, which the personal lists' float32 model scores do) plus a dict entry per key: 45 MB
for 204,156 customers × 20 items. :mod:`.cache` keeps one index per warehouse and reloads it
when a new build lands.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopscope.errors import NotFoundError
from shopscope.storefront.recommend.store import BUILD_TABLE, RECO_TABLES

if TYPE_CHECKING:
    from shopscope.warehouse.connection import Warehouse

__all__ = ["Row", "ServingIndex", "build_version", "not_built"]

Row = tuple[str, str | None, str | None, float | None, float]  # sku, title, category, price, score


def not_built(wh: Warehouse, name: str) -> str:
    return (
        f"Recommendation table {name!r} does not exist in {wh.url}: the lists have not been "
        "built. Run `shopscope recommend build` (or build_recommendations(wh)) first."
    )


def build_version(wh: Warehouse) -> tuple[Any, ...]:
    """What identifies the lists' build and the catalogue size (one small query on DuckDB)."""
    if wh.backend_name == "duckdb":
        import duckdb

        con = wh.duckdb
        try:
            row = con.execute(
                f"SELECT (SELECT max(build_id) FROM {BUILD_TABLE}), (SELECT count(*) FROM products)"
            ).fetchone()
        except duckdb.CatalogException:  # lists built before reco_build existed
            try:
                row = con.execute(
                    "SELECT (SELECT max(built_at)::VARCHAR || count(*) FROM reco_popular), "
                    "(SELECT count(*) FROM products)"
                ).fetchone()
            except duckdb.CatalogException:
                raise NotFoundError(not_built(wh, "reco_popular")) from None
        return tuple(row or ())
    for name in RECO_TABLES:
        if not wh.has_table(name):
            raise NotFoundError(not_built(wh, name))
    if wh.has_table(BUILD_TABLE):
        build = wh.table(BUILD_TABLE).build_id.max().to_pyarrow().as_py()
    else:
        pop = wh.table("reco_popular")
        build = f"{pop.built_at.max().to_pyarrow().as_py()}{pop.count().to_pyarrow().as_py()}"
    return (build, wh.table("products").count().to_pyarrow().as_py())


@dataclass(frozen=True, eq=False)
class _Groups:
    """Rows grouped by key: SKU codes and scores; ``starts[g]:starts[g + 1]`` is group ``g``."""

    where: dict[Hashable, int]
    starts: np.ndarray
    codes: np.ndarray
    scores: np.ndarray

    def slice(self, key: Hashable) -> tuple[np.ndarray, np.ndarray]:
        g = self.where.get(key)
        if g is None:
            return self.codes[:0], self.scores[:0]
        lo, hi = int(self.starts[g]), int(self.starts[g + 1])
        return self.codes[lo:hi], self.scores[lo:hi]

    @property
    def nbytes(self) -> int:
        return int(self.starts.nbytes + self.codes.nbytes + self.scores.nbytes)


def _compact(scores: np.ndarray) -> np.ndarray:
    """float32 when every score survives the round trip exactly (model scores do), else float64."""
    small = scores.astype(np.float32)
    return small if np.array_equal(small.astype(np.float64), scores, equal_nan=True) else scores


def _group(keys: pa.Array | pa.ChunkedArray, codes: np.ndarray, scores: np.ndarray) -> _Groups:
    """Group consecutive equal keys (rows arrive sorted by key, then rank)."""
    encoded = pc.dictionary_encode(keys).combine_chunks()
    ids = encoded.indices.to_numpy(zero_copy_only=False)
    firsts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else ids[:0]
    names = encoded.dictionary.take(pa.array(ids[firsts])).to_pylist()
    starts = np.r_[firsts, len(ids)].astype(np.int64)
    return _Groups(
        dict(zip(names, range(len(names)), strict=True)), starts, codes, _compact(scores)
    )


def _codes(skus: pa.ChunkedArray, dictionary: pa.Array) -> np.ndarray:
    found = pc.index_in(skus, value_set=dictionary).to_numpy(zero_copy_only=False)
    return np.asarray(found, dtype=np.int32)


@dataclass(frozen=True, eq=False)
class ServingIndex:
    """Every precomputed list of one build, in memory. Build with :meth:`load`."""

    version: tuple[Any, ...]
    built_at: datetime | None
    skus: tuple[str, ...]
    titles: tuple[str | None, ...]
    categories: tuple[str | None, ...]
    prices: tuple[float | None, ...]
    users: _Groups
    items: _Groups
    trending_codes: np.ndarray
    trending_scores: np.ndarray
    by_category: dict[str, np.ndarray]
    product_category: dict[str, str | None]
    loaded_in: float = field(default=0.0, compare=False)

    @classmethod
    def load(
        cls,
        wh: Warehouse,
        *,
        customers: Iterable[str] | None = None,
        skus: Iterable[str] | None = None,
    ) -> ServingIndex:
        """Read the lists of the current build (``customers`` / ``skus``: only those keys'
        lists, for one-off lookups such as a CLI call; the fallback lists are always read)."""
        started = time.perf_counter()
        version = build_version(wh)
        for name in RECO_TABLES:
            if not wh.has_table(name):
                raise NotFoundError(not_built(wh, name))
        user_t = wh.table("reco_user_topk")
        if customers is not None:
            user_t = user_t.filter(user_t.customer_id.isin(list(customers)))
        item_t = wh.table("reco_item_topk")
        if skus is not None:
            item_t = item_t.filter(item_t.sku.isin(list(skus)))
        pop = wh.table("reco_popular")
        shown = ("title", "category", "price", "built_at")
        users = user_t.select("customer_id", "rank", "sku", "score", *shown)
        items = item_t.select("sku", "list", "rank", "related_sku", "score", *shown)
        trend = pop.filter(pop.list == "trending").select("rank", "sku", "score", *shown)
        # millions of personal rows: only key, SKU and score leave the engine
        ordered = users.order_by(["customer_id", "rank"])
        u = ordered.select("customer_id", "sku", "score").to_pyarrow()
        i = items.order_by(["sku", "list", "rank"]).to_pyarrow()
        t = trend.order_by("rank").to_pyarrow()
        # one SKU dictionary for the three tables, display fields as written by the build
        related = items.select(sku=items.related_sku, title=items.title,
                               category=items.category, price=items.price)  # fmt: skip
        shown_rows = ibis.union(
            users.select("sku", "title", "category", "price"),
            related,
            trend.select("sku", "title", "category", "price"),
            distinct=False,
        )
        display = (
            shown_rows.group_by("sku")
            .aggregate(
                title=shown_rows.title.arbitrary(),
                category=shown_rows.category.arbitrary(),
                price=shown_rows.price.arbitrary(),
            )
            .order_by("sku")
            .to_pyarrow()
        )
        products = wh.table("products").select("sku", "category")
        if skus is not None:
            products = products.filter(products.sku.isin(list(skus)))
        cats = products.to_pyarrow()
        names = display.column("sku").combine_chunks()

        def column(table: pa.Table, name: str) -> list[Any]:
            values: list[Any] = table.column(name).to_pylist()
            return values

        trend_codes = _codes(t.column("sku"), names)
        by_category: dict[str, list[int]] = {}
        for pos, cat in enumerate(column(t, "category")):
            if cat is not None:
                by_category.setdefault(cat, []).append(pos)
        stamps = [tb.column("built_at")[0].as_py() for tb in (t, i) if tb.num_rows]
        if not stamps and u.num_rows:
            stamps = [user_t.built_at.max().to_pyarrow().as_py()]
        item_key = pc.binary_join_element_wise(i.column("sku"), i.column("list"), "\x1f")
        return cls(
            version=version,
            built_at=stamps[0] if stamps else None,  # every row of a build has the same time
            skus=tuple(names.to_pylist()),
            titles=tuple(column(display, "title")),
            categories=tuple(column(display, "category")),
            prices=tuple(column(display, "price")),
            users=_group(
                u.column("customer_id"),
                _codes(u.column("sku"), names),
                u.column("score").to_numpy(zero_copy_only=False),
            ),
            items=_group(
                item_key,
                _codes(i.column("related_sku"), names),
                i.column("score").to_numpy(zero_copy_only=False),
            ),
            trending_codes=trend_codes,
            trending_scores=_compact(t.column("score").to_numpy(zero_copy_only=False)),
            by_category={c: np.asarray(p, np.int64) for c, p in by_category.items()},
            product_category=dict(zip(column(cats, "sku"), column(cats, "category"), strict=True)),
            loaded_in=time.perf_counter() - started,
        )

    def with_categories(self, wh: Warehouse, version: tuple[Any, ...]) -> ServingIndex:
        """This index with the current ``products`` categories (new SKUs since the load)."""
        cats = wh.table("products").select("sku", "category").to_pyarrow()
        current = dict(
            zip(cats.column("sku").to_pylist(), cats.column("category").to_pylist(), strict=True)
        )
        return replace(self, version=version, product_category=current)

    # -- lookups -------------------------------------------------------------------------------
    def _rows(self, codes: np.ndarray, scores: np.ndarray) -> list[Row]:
        return [
            (self.skus[c], self.titles[c], self.categories[c], self.prices[c], float(s))
            for c, s in zip(codes.tolist(), scores.tolist(), strict=True)
        ]

    def user(self, customer_id: str, k: int) -> list[Row]:
        """The customer's personal list, best first (empty when there is none)."""
        codes, scores = self.users.slice(customer_id)
        return self._rows(codes[:k], scores[:k])

    def item(self, sku: str, kind: str, k: int) -> list[Row]:
        """The SKU's ``kind`` list, best first (empty when there is none)."""
        codes, scores = self.items.slice(f"{sku}\x1f{kind}")
        return self._rows(codes[:k], scores[:k])

    def trending(
        self, k: int, *, category: str | None = None, exclude: str | None = None
    ) -> list[Row]:
        """The trending list (of one category), without ``exclude``, best first."""
        empty = np.empty(0, np.int64)
        pos = None if category is None else self.by_category.get(category, empty)
        codes = self.trending_codes if pos is None else self.trending_codes[pos]
        scores = self.trending_scores if pos is None else self.trending_scores[pos]
        codes, scores = codes[: k + 1], scores[: k + 1]  # one of them may be excluded
        rows = self._rows(codes, scores)
        return [r for r in rows if r[0] != exclude][:k]

    def category(self, sku: str) -> str | None:
        """The SKU's category in ``products`` when the index was loaded (None if unknown)."""
        return self.product_category.get(sku)

    @property
    def nbytes(self) -> int:
        """Bytes held by the list arrays (the dicts and strings come on top)."""
        return int(
            self.users.nbytes
            + self.items.nbytes
            + self.trending_codes.nbytes
            + self.trending_scores.nbytes
        )
