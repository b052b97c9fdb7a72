"""Shopify's standard orders export (Admin → Orders → Export, "CSV for Excel").

One row per line item. Order-level fields (Email, Financial Status, Fulfillment Status,
Currency, Subtotal, Shipping, Taxes, Total, Discount Code/Amount, Created at, Cancelled at,
addresses, Source, ...) are filled on the first row of each order and blank on the others; the
adapter takes each order's first non-blank value, wherever it sits. Rules, each documented in
``docs/sources.md``:

* ``Name`` (``#1001``) is the order id; line items are numbered in file order within it;
* ``Created at`` carries a UTC offset (``2024-03-05 14:22:10 -0500``) and is converted to UTC;
  a timestamp without an offset is read in :attr:`Shopify.timezone`;
* the status comes from Cancelled at, Financial Status and Fulfillment Status
  (:func:`status_sql`, table in the docs); an unknown financial status is quarantined;
* customers: ``Customer ID`` when the export has it, else ``email-`` + the first 16 hex digits
  of md5(lower(Email)); orders without either are guest orders;
* products from line items: ``sku`` = Lineitem sku, or a slug of Lineitem name when blank;
* ``gross_amount`` = Σ quantity × price of the lines, ``discount_amount`` = Discount Amount,
  ``shipping_amount`` = Shipping, ``channel`` = Source, ``ship_country`` = Shipping Country
  (else Billing Country). Taxes, Total and Refunded Amount have no canonical column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopscope.warehouse.ingest.reader import ReadOptions, quote_ident
from shopscope.warehouse.ingest.validate import sql_literal
from shopscope.warehouse.sources.base import SourcePlan, order_lines_plan

__all__ = ["FINANCIAL_STATUSES", "REQUIRED_COLUMNS", "Shopify", "sku_slug_sql", "status_sql"]

REQUIRED_COLUMNS = (
    "Name",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
)
"""Columns every Shopify orders export has and the adapter cannot do without."""

FINANCIAL_STATUSES = (
    "pending",
    "authorized",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
    "expired",
)
"""Shopify ``Financial Status`` values (blank is accepted as ``pending``)."""

_OFFSET = "'\\s*([+-]\\d\\d):?(\\d\\d)$'"


def status_sql(cancelled: str, financial: str, fulfillment: str) -> str:
    """SQL mapping Shopify's order state to the canonical ``orders.status``.

    First match wins: Cancelled at set → ``cancelled``; refunded → ``refunded``; voided or
    expired → ``cancelled``; fulfilled → ``shipped``; paid, partially paid or partially
    refunded → ``paid``; otherwise (pending, authorized, blank) → ``placed``.
    """
    fin = f"lower(coalesce({financial}, ''))"
    return (
        f"CASE WHEN {cancelled} IS NOT NULL THEN 'cancelled' "
        f"WHEN {fin} = 'refunded' THEN 'refunded' "
        f"WHEN {fin} IN ('voided', 'expired') THEN 'cancelled' "
        f"WHEN lower(coalesce({fulfillment}, '')) = 'fulfilled' THEN 'shipped' "
        f"WHEN {fin} IN ('paid', 'partially_paid', 'partially_refunded') THEN 'paid' "
        f"ELSE 'placed' END"
    )


def sku_slug_sql(name: str) -> str:
    """SQL slug of a line-item name: lower case, runs of other characters become ``-``."""
    return f"nullif(trim(regexp_replace(lower(trim({name})), '[^a-z0-9]+', '-', 'g'), '-'), '')"


@dataclass
class Shopify:
    """Source adapter for Shopify's orders export (one row per line item)."""

    name: str = "shopify"
    description: str = "Shopify orders export (one row per line item)"
    read_options: ReadOptions = field(default_factory=ReadOptions)
    timezone: str = "UTC"

    def required_columns(self) -> list[str]:
        """The columns the export must have."""
        return list(REQUIRED_COLUMNS)

    def accepts(self, columns: list[str]) -> bool:
        """True when the required Shopify columns are all present."""
        return set(REQUIRED_COLUMNS) <= set(columns)

    def _utc(self, text: str) -> str:
        """``Created at`` text → UTC TIMESTAMP (offset honoured; naive in ``timezone``)."""
        iso = f"regexp_replace(trim({text}), {_OFFSET}, '\\1:\\2')"
        local = f"timezone({sql_literal(self.timezone)}, TRY_CAST(trim({text}) AS TIMESTAMP))"
        return (
            f"timezone('UTC', CASE WHEN regexp_matches(trim({text}), {_OFFSET}) "
            f"THEN TRY_CAST({iso} AS TIMESTAMPTZ) ELSE {local} END)"
        )

    def plan(self, columns: list[str]) -> SourcePlan:
        """Orders, their lines, the customers and products they mention."""

        def c(name: str) -> str:
            return f"nullif(trim({quote_ident(name)}), '')" if name in columns else "NULL"

        def first(name: str) -> str:
            """The order's first non-blank value of an order-level column."""
            if name not in columns:
                return "NULL"
            return f"arg_min({c(name)}, _line) FILTER (WHERE {c(name)} IS NOT NULL)"

        order = 'trim("Name")'
        email = first("Email")
        if "Customer ID" in columns:
            customer = f"coalesce({first('Customer ID')}, {self._hash(email)})"
        else:
            customer = self._hash(email)
        created = (
            f"arg_min({self._utc(c('Created at'))}, _line) "
            f"FILTER (WHERE {c('Created at')} IS NOT NULL)"
        )
        sku = f"coalesce({c('Lineitem sku')}, {sku_slug_sql(quote_ident('Lineitem name'))})"
        value = 'TRY_CAST("Lineitem quantity" AS DOUBLE) * TRY_CAST("Lineitem price" AS DOUBLE)'
        fin = first("Financial Status")
        status = status_sql(first("Cancelled at"), fin, first("Fulfillment Status"))
        country = f"coalesce({first('Shipping Country')}, {first('Billing Country')})"
        orders_by = (
            f"(SELECT {order} AS order_id, {customer} AS customer_id, {created} AS ordered_at, "
            f"{status} AS status, {first('Source')} AS channel, {first('Currency')} AS currency, "
            f"sum({value}) AS gross_amount, {first('Discount Amount')} AS discount_amount, "
            f"{first('Shipping')} AS shipping_amount, {country} AS ship_country, "
            f"{first('Shipping Province')} AS region, {first('Shipping City')} AS city, "
            f"{first('Accepts Marketing')} AS opt_in, min(_line) AS _line "
            f"FROM {{src}} GROUP BY {order})"
        )
        orders = (
            "SELECT order_id, customer_id, ordered_at, status, channel, currency, gross_amount, "
            f"discount_amount, shipping_amount, ship_country, _line FROM {orders_by}"
        )
        customers = (
            "SELECT customer_id, min(ordered_at) AS first_seen_at, "
            "arg_max(ship_country, ordered_at) AS country, arg_max(region, ordered_at) AS region, "
            "arg_max(city, ordered_at) AS city, "
            "arg_max(CASE lower(opt_in) WHEN 'yes' THEN true WHEN 'true' THEN true "
            "WHEN 'no' THEN false WHEN 'false' THEN false END, ordered_at) AS email_opt_in, "
            f"min(_line) AS _line FROM {orders_by} WHERE customer_id IS NOT NULL "
            "GROUP BY customer_id"
        )
        products = (
            f"SELECT {sku} AS sku, arg_max({c('Lineitem name')}, _line) AS title, "
            f'arg_max(TRY_CAST("Lineitem price" AS DOUBLE), _line) AS price, '
            f"arg_max({c('Vendor')}, _line) AS brand, 'product' AS item_kind, "
            f"min(_line) AS _line FROM {{src}} WHERE {sku} IS NOT NULL GROUP BY {sku}"
        )
        items = (
            f"SELECT {order} AS order_id, row_number() OVER (PARTITION BY {order} ORDER BY _line) "
            f'AS line_no, {sku} AS sku, "Lineitem quantity" AS quantity, '
            f'"Lineitem price" AS unit_price, {c("Lineitem discount")} AS discount_amount, '
            f"_line FROM {{src}}"
        )
        known = ", ".join(sql_literal(s) for s in FINANCIAL_STATUSES)
        # order-level problems refuse every line of the order, so no order is half loaded
        per_order = (
            f"(SELECT {order} AS o, {fin} AS fin, {created} AS at, "
            f"{first('Created at')} AS at_text FROM {{stg}} WHERE {c('Name')} IS NOT NULL "
            f"GROUP BY {order})"
        )
        bad_fin = f"lower(coalesce(p.fin, 'pending')) NOT IN ({known})"
        rules = (
            f"SELECT s._line, 'not_allowed', 'Financial Status ''' || p.fin || ''' of order ' "
            f"|| p.o || ' is not a Shopify financial status; allowed: "
            f"{', '.join(FINANCIAL_STATUSES)}' FROM {{stg}} s JOIN {per_order} p "
            f"ON p.o = {order} WHERE {bad_fin} "
            f"UNION ALL SELECT s._line, 'bad_value', 'Created at ''' || coalesce(p.at_text, '') "
            f"|| ''' of order ' || p.o || ' is not a timestamp like 2024-03-05 14:22:10 -0500' "
            f"FROM {{stg}} s JOIN {per_order} p ON p.o = {order} "
            f"WHERE p.at IS NULL AND NOT {bad_fin} "
            f"UNION ALL SELECT _line, 'missing_value', 'Name (the order number) is empty' "
            f"FROM {{stg}} WHERE {c('Name')} IS NULL "
            f"UNION ALL SELECT s._line, 'missing_value', 'Lineitem sku and Lineitem name are "
            f"both empty: the line has no product' FROM {{stg}} s JOIN {per_order} p "
            f"ON p.o = {order} WHERE {sku} IS NULL AND p.at IS NOT NULL AND NOT {bad_fin}"
        )
        return order_lines_plan(
            products=products,
            customers=customers,
            orders=orders,
            items=items,
            rules=rules,
        )

    @staticmethod
    def _hash(email: str) -> str:
        return f"'email-' || left(md5(lower({email})), 16)"
