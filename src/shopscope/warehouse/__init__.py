"""The data platform: canonical schema, connections, ingestion, sources, demo store, status."""

from shopscope.warehouse.connection import Warehouse as Warehouse
from shopscope.warehouse.connection import connect as connect
from shopscope.warehouse.connection import parse_url as parse_url
from shopscope.warehouse.quarantine import quarantine_rows as quarantine_rows
from shopscope.warehouse.schema import TABLES as TABLES
from shopscope.warehouse.schema import Table as Table
from shopscope.warehouse.status import shop_summary as shop_summary
from shopscope.warehouse.status import warehouse_status as warehouse_status

__all__ = [
    "TABLES",
    "Table",
    "Warehouse",
    "connect",
    "parse_url",
    "quarantine_rows",
    "shop_summary",
    "warehouse_status",
]
