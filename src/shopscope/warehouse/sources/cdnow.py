"""The CDNOW transaction logs (Fader, Hardie & Lee 2005), as redistributed by ``lifetimes``.

Two whitespace-separated layouts, read one physical line at a time:

* ``CDNOW_master.txt``: ``customer_id date number_of_cds dollar_value`` (the ``lifetimes`` copy
  starts with that header line, which is skipped: it is not a transaction);
* ``CDNOW_sample.txt``: ``master_id sample_id date number_of_cds dollar_value``, no header.

The layout is recognised per line by its field count (4 or 5). Rules, each documented in
``docs/sources.md``:

* every record becomes one order with one line: ``order_id`` is
  ``cdnow-<customer>-<YYYYMMDD>-<n>`` with ``n`` the record's ordinal within that customer-day
  in file order, so re-ingesting a file (or the sample after the master) loads nothing twice;
* the line's sku is ``CD`` (one ``products`` row), ``quantity`` = number of CDs, ``unit_price`` =
  dollar value / CDs; ``orders.gross_amount`` = the dollar value exactly;
* a record with 0 CDs keeps ``quantity`` 0 and carries its whole dollar value as ``unit_price``
  (there are none in the published files; 80 master records have 0 dollars and 1+ CDs and load
  with ``unit_price`` 0);
* ``ordered_at`` is midnight UTC of the date, ``status`` ``completed``, ``currency`` ``USD``;
* customers keep the zero-padded id (``00001``); ``first_seen_at`` is their first purchase;
* lines with another field count, an unreadable date, or non-numeric or negative CDs/dollars
  are quarantined with their reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shopscope.warehouse.ingest.reader import ReadOptions
from shopscope.warehouse.sources.base import SourcePlan, order_lines_plan

__all__ = ["CDNOW_HEADER", "Cdnow"]

CDNOW_HEADER = ("customer_id", "date", "number_of_cds", "dollar_value")
"""Field names of the header line ``lifetimes`` added to ``CDNOW_master.txt``."""

_FIELDS = "regexp_split_to_array(trim(line), '\\s+')"
_NUMBER = "'^[0-9]+(\\.[0-9]*)?$'"


def _field(offset_from_end: int) -> str:
    """The field ``offset_from_end`` places from the end (1 = last); both layouts end alike."""
    return f"f[len(f) - {offset_from_end - 1}]"


@dataclass
class Cdnow:
    """Source adapter for the CDNOW master and 1/10 sample transaction logs."""

    name: str = "cdnow"
    description: str = "CDNOW transaction logs (CDNOW_master.txt, CDNOW_sample.txt)"
    read_options: ReadOptions = field(default_factory=lambda: ReadOptions(kind="lines"))
    currency: str = "USD"

    def required_columns(self) -> list[str]:
        """The single text column of a file staged line by line."""
        return ["line"]

    def accepts(self, columns: list[str]) -> bool:
        """True for a line-staged file (the field layout is checked per line by the rules)."""
        return columns == ["line"]

    def plan(self, columns: list[str]) -> SourcePlan:
        """One order, one order line per record; the CD product; customers by first purchase."""
        # every select starts from the split fields of the line
        rec = (
            f"(SELECT _line, f, trim(f[1]) AS customer, {_field(3)} AS day, "
            f"CAST({_field(2)} AS BIGINT) AS cds, CAST({_field(1)} AS DOUBLE) AS dollars "
            f"FROM (SELECT _line, {_FIELDS} AS f FROM {{src}}))"
        )
        split = f"(SELECT _line, line, {_FIELDS} AS f FROM {{stg}})"
        rules = (
            f"SELECT _line, 'bad_record', 'expected 4 fields (customer_id date number_of_cds "
            f"dollar_value) or 5 (master_id sample_id date number_of_cds dollar_value) separated "
            f"by spaces, found ' || len(f) || ': ' || left(trim(line), 80) FROM {split} "
            f"WHERE len(f) NOT IN (4, 5) "
            f"UNION ALL SELECT _line, 'bad_value', 'date ''' || {_field(3)} || ''' is not a "
            f"date in YYYYMMDD form' FROM {split} WHERE len(f) IN (4, 5) "
            f"AND try_strptime({_field(3)}, '%Y%m%d') IS NULL "
            f"UNION ALL SELECT _line, 'bad_value', 'number_of_cds ''' || {_field(2)} || ''' and "
            f"dollar_value ''' || {_field(1)} || ''' must be a whole number >= 0 and an amount "
            f">= 0' FROM {split} WHERE len(f) IN (4, 5) "
            f"AND try_strptime({_field(3)}, '%Y%m%d') IS NOT NULL "
            f"AND NOT (regexp_matches({_field(2)}, '^[0-9]+$') "
            f"AND regexp_matches({_field(1)}, {_NUMBER}))"
        )
        order_id = (
            "'cdnow-' || customer || '-' || day || '-' || "
            "row_number() OVER (PARTITION BY customer, day ORDER BY _line)"
        )
        ordered_at = "CAST(strptime(day, '%Y%m%d') AS TIMESTAMP)"
        orders = (
            f"SELECT {order_id} AS order_id, customer AS customer_id, {ordered_at} AS ordered_at, "
            f"'completed' AS status, '{self.currency}' AS currency, dollars AS gross_amount, "
            f"_line FROM {rec}"
        )
        items = (
            f"SELECT {order_id} AS order_id, 1 AS line_no, 'CD' AS sku, cds AS quantity, "
            f"CASE WHEN cds = 0 THEN dollars ELSE dollars / cds END AS unit_price, _line FROM {rec}"
        )
        customers = (
            f"SELECT customer AS customer_id, min({ordered_at}) AS first_seen_at, "
            f"min(_line) AS _line FROM {rec} GROUP BY customer"
        )
        products = (
            "SELECT 'CD' AS sku, 'Compact disc (CDNOW purchase record)' AS title, "
            f"'music' AS category, 'product' AS item_kind, min(_line) AS _line FROM {rec} "
            "HAVING count(*) > 0"
        )
        header = " ".join(CDNOW_HEADER)
        return order_lines_plan(
            products=products,
            customers=customers,
            orders=orders,
            items=items,
            rules=rules,
            skip=(
                f"_line = 1 AND regexp_replace(lower(trim(line)), '\\s+', ' ', 'g') = '{header}'"
            ),
        )
