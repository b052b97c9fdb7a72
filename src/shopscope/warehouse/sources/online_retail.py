"""The UCI Online Retail layout (Chen 2015; also the layout of Online Retail II).

Columns: ``InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID,
Country`` (Online Retail II's ``Invoice, Price, Customer ID`` spellings are accepted too).

Rules, each documented in ``docs/sources.md``:

* every invoice becomes an order; ``C`` invoices (cancellations/returns) are kept as orders with
  status ``cancelled`` and negative quantities;
* invoice lines become order lines, numbered in file order within the invoice;
* stock codes that are not goods (postage, fees, discounts, manual entries, samples, vouchers,
  donations) are classified in ``products.item_kind``; order ``gross_amount`` sums goods lines,
  ``shipping_amount`` postage and carriage, ``discount_amount`` discount lines;
* rows without a CustomerID are kept as guest orders (``customer_id`` null);
* negative quantities on non-``C`` invoices are stock adjustments and ``A`` invoices are bad-debt
  adjustments: neither is a sale, so both are quarantined with their reason;
* timestamps are UK local time (``Europe/London``) and are stored in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopscope.warehouse.ingest.reader import ReadOptions
from shopscope.warehouse.sources.base import SourcePlan, order_lines_plan

__all__ = ["ITEM_KIND_RULES", "OnlineRetail"]

# (SQL condition on upper(StockCode), item_kind); first match wins, default 'product'.
ITEM_KIND_RULES: tuple[tuple[str, str], ...] = (
    ("code IN ('POST', 'DOT', 'C2')", "shipping"),
    ("code IN ('BANK CHARGES', 'AMAZONFEE')", "fee"),
    ("code = 'D'", "discount"),
    ("code = 'M'", "manual"),
    ("code = 'S'", "sample"),
    ("code = 'CRUK'", "donation"),
    ("code = 'B'", "adjustment"),
    ("code LIKE 'GIFT\\_0001\\_%' ESCAPE '\\'", "gift_card"),
)

_ALIASES = {"Invoice": "InvoiceNo", "Price": "UnitPrice", "Customer ID": "CustomerID"}
_COLUMNS = [
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
]


def _kind_sql(code: str) -> str:
    cases = " ".join(
        f"WHEN {cond.replace('code', code)} THEN '{kind}'" for cond, kind in ITEM_KIND_RULES
    )
    return f"CASE {cases} ELSE 'product' END"


@dataclass
class OnlineRetail:
    """Source adapter for the UCI Online Retail invoice-line export."""

    name: str = "online-retail"
    description: str = "UCI Online Retail / Online Retail II invoice lines"
    read_options: ReadOptions = field(default_factory=ReadOptions)
    timezone: str = "Europe/London"
    currency: str = "GBP"

    def required_columns(self) -> list[str]:
        return list(_COLUMNS)

    def accepts(self, columns: list[str]) -> bool:
        names = {_ALIASES.get(c, c) for c in columns}
        return set(_COLUMNS) <= names

    def plan(self, columns: list[str]) -> SourcePlan:
        col = {c: f'"{c}"' for c in _COLUMNS}
        for alias, canonical in _ALIASES.items():
            if alias in columns and canonical not in columns:
                col[canonical] = f'"{alias}"'
        inv, code, qty, price = (
            col["InvoiceNo"],
            col["StockCode"],
            col["Quantity"],
            col["UnitPrice"],
        )
        customer = f"regexp_replace(trim({col['CustomerID']}), '\\.0$', '')"
        kind = _kind_sql(f"upper(trim({code}))")
        value = f"TRY_CAST({qty} AS DOUBLE) * TRY_CAST({price} AS DOUBLE)"
        rules = (
            f"SELECT _line, 'stock_adjustment', 'negative quantity ' || {qty} || ' on invoice ' "
            f"|| {inv} || ', which is not a C (cancellation) invoice: a stock adjustment or "
            f"write-off (' || coalesce(trim({col['Description']}), 'no description') || '), not a "
            f"sale' FROM {{stg}} WHERE NOT starts_with({inv}, 'C') "
            f"AND TRY_CAST({qty} AS DOUBLE) < 0 "
            f"UNION ALL SELECT _line, 'accounting_adjustment', 'invoice ' || {inv} || ' is an "
            f"accounting adjustment (' || coalesce(trim({col['Description']}), '') || '), not a "
            f"sale' FROM {{stg}} WHERE starts_with({inv}, 'A')"
        )
        products = (
            f"SELECT trim({code}) AS sku, "
            f"arg_max(trim({col['Description']}), _line) AS title, "
            f"arg_max(TRY_CAST({price} AS DOUBLE), _line) "
            f"FILTER (WHERE TRY_CAST({price} AS DOUBLE) "
            f"> 0 AND TRY_CAST({qty} AS DOUBLE) > 0) AS price, {kind} AS item_kind, "
            f"min(_line) AS _line FROM {{src}} WHERE trim({code}) <> '' GROUP BY trim({code})"
        )
        customers = (
            f"SELECT {customer} AS customer_id, min({col['InvoiceDate']}) AS first_seen_at, "
            f"arg_max({col['Country']}, _line) AS country, min(_line) AS _line FROM {{src}} "
            f"WHERE {customer} <> '' GROUP BY {customer}"
        )
        orders = (
            f"SELECT {inv} AS order_id, nullif(any_value({customer}), '') AS customer_id, "
            f"min({col['InvoiceDate']}) AS ordered_at, "
            f"CASE WHEN starts_with({inv}, 'C') THEN 'cancelled' ELSE 'completed' END AS status, "
            f"'{self.currency}' AS currency, "
            f"coalesce(sum({value}) FILTER (WHERE {kind} IN ('product', 'gift_card')), 0) "
            "AS gross_amount, "
            f"abs(coalesce(sum({value}) FILTER (WHERE {kind} = 'discount'), 0)) "
            "AS discount_amount, "
            f"coalesce(sum({value}) FILTER (WHERE {kind} = 'shipping'), 0) AS shipping_amount, "
            f"any_value({col['Country']}) AS ship_country, min(_line) AS _line "
            f"FROM {{src}} GROUP BY {inv}"
        )
        items = (
            f"SELECT {inv} AS order_id, row_number() OVER (PARTITION BY {inv} ORDER BY _line) "
            f"AS line_no, trim({code}) AS sku, {qty} AS quantity, {price} AS unit_price, _line "
            f"FROM {{src}}"
        )
        return order_lines_plan(
            products=products,
            customers=customers,
            orders=orders,
            items=items,
            rules=rules,
            timezone=self.timezone,
        )
