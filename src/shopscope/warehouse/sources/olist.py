"""The Olist Brazilian e-commerce tables (Kaggle ``olistbr/brazilian-ecommerce``).

Olist publishes nine CSV tables; each file is one batch and the adapter recognises the table
from the file's columns (any table may be missing). Rules, each documented in ``docs/sources.md``:

* ``olist_products_dataset`` → ``products``: ``sku`` = ``product_id``; ``category`` = the English
  name from ``product_category_name_translation.csv`` when that file sits in the same directory
  (categories it lacks keep their Portuguese name), else the Portuguese name; ``image_count`` =
  ``product_photos_qty``; ``weight_g``; name/description lengths, dimensions and the Portuguese
  category go to ``attributes``. Products without a category load with ``category`` null;
* ``olist_orders_dataset`` → ``orders`` (status mapped, see :data:`ORDER_STATUS`; timestamps are
  Brazil local time, ``America/Sao_Paulo``; currency ``BRL``; amounts are not in this file and
  stay null) and ``customers`` (first purchase);
* ``olist_order_items_dataset`` → ``order_items``: one line per row (``line_no`` =
  ``order_item_id``, quantity 1, ``unit_price`` = ``price``); load the orders file first, lines
  of unknown orders are quarantined. ``seller_id`` and ``freight_value`` are not stored;
* ``olist_customers_dataset`` → ``customers``, keyed by ``customer_unique_id`` (the person;
  Olist issues a new ``customer_id`` per order). A person's further rows are quarantined as
  ``repeat_customer``. Orders map ``customer_id`` to ``customer_unique_id`` when the customers
  file sits in the same directory, else they keep Olist's per-order ``customer_id`` (noted);
* sellers, payments, reviews, geolocation and the category translation have no canonical table
  and are refused with a message naming the supported files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

from shopscope.errors import InvalidInputError, MissingColumnsError
from shopscope.warehouse.ingest.reader import ReadOptions, quote_ident
from shopscope.warehouse.ingest.validate import sql_literal
from shopscope.warehouse.sources.base import SourcePlan, TablePlan

__all__ = ["OLIST_LAYOUTS", "ORDER_STATUS", "UNSUPPORTED_LAYOUTS", "Olist", "olist_table"]

OLIST_LAYOUTS: dict[str, tuple[str, ...]] = {
    "order_items": ("order_id", "order_item_id", "product_id", "price"),
    "products": ("product_id", "product_category_name"),
    "orders": ("order_id", "customer_id", "order_status", "order_purchase_timestamp"),
    "customers": ("customer_id", "customer_unique_id"),
}
"""Columns that identify (and are required for) each supported Olist table, in match order."""

UNSUPPORTED_LAYOUTS: dict[str, tuple[str, ...]] = {
    "sellers": ("seller_id", "seller_zip_code_prefix"),
    "order_payments": ("order_id", "payment_sequential"),
    "order_reviews": ("review_id", "review_score"),
    "geolocation": ("geolocation_zip_code_prefix",),
    "product_category_name_translation": ("product_category_name_english",),
}
"""Olist tables without a canonical home: recognised, then refused with an explanation."""

ORDER_STATUS: dict[str, str] = {
    "created": "placed",
    "approved": "paid",
    "invoiced": "paid",
    "processing": "paid",
    "shipped": "shipped",
    "delivered": "delivered",
    "canceled": "cancelled",
    "unavailable": "cancelled",
}
"""Olist ``order_status`` → canonical ``orders.status``."""

_Col: TypeAlias = Callable[[str], str]
"""Source column name → quoted identifier, or ``NULL`` when the file lacks the column."""

_TRANSLATION = "product_category_name_translation"
_CUSTOMERS = "olist_customers_dataset"


def olist_table(columns: list[str]) -> str | None:
    """The Olist table a file with these columns holds (supported or not), or ``None``."""
    names = set(columns)
    for table, needed in (*OLIST_LAYOUTS.items(), *UNSUPPORTED_LAYOUTS.items()):
        if set(needed) <= names:
            return table
    return None


def _sibling(directory: Path | None, stem: str) -> Path | None:
    if directory is None:
        return None
    for suffix in (".csv", ".csv.gz"):
        candidate = directory / f"{stem}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _read(path: Path) -> str:
    return f"read_csv({sql_literal(str(path))}, all_varchar = true, header = true)"


@dataclass
class Olist:
    """Source adapter for the Olist products, orders, order items and customers tables.

    Attributes
    ----------
    directory:
        Where the file being ingested lives; lookup files there (category translation,
        customers) are used when present. :meth:`for_path` sets it.
    """

    name: str = "olist"
    description: str = "Olist Brazilian e-commerce tables (products, orders, items, customers)"
    read_options: ReadOptions = field(default_factory=ReadOptions)
    directory: Path | None = None
    timezone: str = "America/Sao_Paulo"
    currency: str = "BRL"

    @classmethod
    def for_path(cls, path: Path) -> Olist:
        """The adapter for ``path``, using lookup files in the same directory."""
        return cls(directory=path.parent)

    def required_columns(self) -> list[str]:
        """None up front: :meth:`plan` recognises the table and names what is missing."""
        return []

    def accepts(self, columns: list[str]) -> bool:
        """True when the columns are those of an Olist table (supported or not)."""
        return olist_table(columns) is not None

    def plan(self, columns: list[str]) -> SourcePlan:
        """The plan for whichever Olist table the columns identify.

        Raises
        ------
        MissingColumnsError
            The columns match no Olist table.
        InvalidInputError
            An Olist table that has no canonical home (sellers, payments, ...).
        """
        table = olist_table(columns)
        supported = ", ".join(
            f"olist_{t}_dataset ({', '.join(c)})" for t, c in OLIST_LAYOUTS.items()
        )
        if table is None:
            raise MissingColumnsError(
                f"The columns match no Olist table. Supported: {supported}. Found: "
                f"{', '.join(columns) or '(none)'}. Use another --source or --mapping FILE.toml.",
                expected=sorted({c for cols in OLIST_LAYOUTS.values() for c in cols}),
                found=list(columns),
            )
        if table in UNSUPPORTED_LAYOUTS:
            raise InvalidInputError(
                f"This is Olist's {table} table, which has no table in the shopscope data model, "
                f"so it is not ingested"
                + (
                    " (it is read as a lookup when products are ingested from the same directory)"
                    if table == _TRANSLATION
                    else ""
                )
                + f". Supported Olist files: {supported}."
            )
        col = {c: quote_ident(c) for c in columns}
        builders = {
            "products": self._products,
            "orders": self._orders,
            "order_items": self._items,
            "customers": self._customers,
        }
        return builders[table](lambda name: col.get(name, "NULL"))

    def _products(self, c: _Col) -> SourcePlan:
        translation = _sibling(self.directory, _TRANSLATION)
        pt = f"nullif(trim({c('product_category_name')}), '')"
        if translation is not None:
            join = (
                f"LEFT JOIN (SELECT trim(product_category_name) AS pt, "
                f"nullif(trim(product_category_name_english), '') AS en FROM {_read(translation)}"
                f") t ON t.pt = {pt}"
            )
            category = f"coalesce(t.en, {pt})"
            notes = (f"categories translated to English with {translation.name}",)
        else:
            join, category = "", pt
            notes = (
                f"{_TRANSLATION}.csv not found next to the file: categories kept in Portuguese",
            )

        def num(name: str, sql_type: str) -> str:
            return f"TRY_CAST(nullif(trim({c(name)}), '') AS {sql_type})"

        attributes = (
            f"CAST(json_object('category_pt', {pt}, "
            f"'name_length', {num('product_name_lenght', 'BIGINT')}, "
            f"'description_length', {num('product_description_lenght', 'BIGINT')}, "
            f"'length_cm', {num('product_length_cm', 'DOUBLE')}, "
            f"'height_cm', {num('product_height_cm', 'DOUBLE')}, "
            f"'width_cm', {num('product_width_cm', 'DOUBLE')}) AS VARCHAR)"
        )
        products = (
            f"SELECT trim({c('product_id')}) AS sku, {category} AS category, "
            f"{c('product_photos_qty')} AS image_count, {c('product_weight_g')} AS weight_g, "
            f"'product' AS item_kind, {attributes} AS attributes, _line FROM {{src}} p {join}"
        )
        return SourcePlan(
            tables=(TablePlan("products", products),), line_table="products", notes=notes
        )

    def _orders(self, c: _Col) -> SourcePlan:
        lookup = _sibling(self.directory, _CUSTOMERS)
        cid = f"trim({c('customer_id')})"
        if lookup is not None:
            join = (
                f"LEFT JOIN (SELECT trim(customer_id) AS cid, any_value(trim(customer_unique_id)) "
                f"AS uid, any_value(trim(customer_city)) AS city, any_value(trim(customer_state)) "
                f"AS state FROM {_read(lookup)} GROUP BY 1) k ON k.cid = {cid}"
            )
            customer, city, state = f"coalesce(k.uid, {cid})", "k.city", "k.state"
            notes: tuple[str, ...] = (
                f"customer_id mapped to customer_unique_id via {lookup.name}",
            )
        else:
            join, customer, city, state = "", cid, "NULL", "NULL"
            notes = (
                f"{_CUSTOMERS}.csv not found next to the file: orders keep Olist's per-order "
                "customer_id, so repeat purchases of one person are not linked",
            )
        status = (
            "CASE lower(trim("
            + c("order_status")
            + ")) "
            + " ".join(
                f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in ORDER_STATUS.items()
            )
        )
        rules = (
            f"SELECT _line, 'not_allowed', 'order_status ''' || coalesce({c('order_status')}, '') "
            f"|| ''' is not an Olist status; allowed: {', '.join(ORDER_STATUS)}' FROM {{stg}} "
            f"WHERE lower(trim(coalesce({c('order_status')}, ''))) NOT IN "
            f"({', '.join(sql_literal(k) for k in ORDER_STATUS)})"
        )
        rows = (
            f"(SELECT s.*, {customer} AS _customer, {city} AS _city, {state} AS _state "
            f"FROM {{src}} s {join})"
        )
        orders = (
            f"SELECT trim({c('order_id')}) AS order_id, _customer AS customer_id, "
            f"{c('order_purchase_timestamp')} AS ordered_at, {status} END AS status, "
            f"'{self.currency}' AS currency, 'BR' AS ship_country, _line FROM {rows}"
        )
        customers = (
            f"SELECT _customer AS customer_id, min(trim({c('order_purchase_timestamp')})) "
            f"AS first_seen_at, 'BR' AS country, arg_max(_state, _line) AS region, "
            f"arg_max(_city, _line) AS city, min(_line) AS _line FROM {rows} "
            f"WHERE _customer <> '' GROUP BY _customer"
        )
        return SourcePlan(
            tables=(TablePlan("customers", customers), TablePlan("orders", orders)),
            line_table="orders",
            rules=rules,
            timezone=self.timezone,
            notes=notes,
        )

    def _items(self, c: _Col) -> SourcePlan:
        items = (
            f"SELECT trim({c('order_id')}) AS order_id, {c('order_item_id')} AS line_no, "
            f"trim({c('product_id')}) AS sku, 1 AS quantity, {c('price')} AS unit_price, _line "
            f"FROM {{src}}"
        )
        return SourcePlan(tables=(TablePlan("order_items", items),), line_table="order_items")

    def _customers(self, c: _Col) -> SourcePlan:
        uid = f"trim({c('customer_unique_id')})"
        rules = (
            f"SELECT _line, 'repeat_customer', 'customer_unique_id ' || uid || ' was loaded from "
            f"line ' || first_line || '; Olist repeats the person once per order (customer_id "
            f"' || coalesce(cid, '') || '), the customer is stored once' FROM (SELECT _line, "
            f"{uid} AS uid, trim({c('customer_id')}) AS cid, min(_line) OVER (PARTITION BY "
            f"{uid}) AS first_line FROM {{stg}}) WHERE _line <> first_line AND uid <> ''"
        )
        customers = (
            f"SELECT {uid} AS customer_id, 'BR' AS country, "
            f"nullif(trim({c('customer_state')}), '') AS region, "
            f"nullif(trim({c('customer_city')}), '') AS city, _line FROM {{src}}"
        )
        return SourcePlan(
            tables=(TablePlan("customers", customers),),
            line_table="customers",
            rules=rules,
            notes=("customer_zip_code_prefix is not stored (no postal-code column)",),
        )
