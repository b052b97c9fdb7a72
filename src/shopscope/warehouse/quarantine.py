"""Reading the quarantine: rows that were not loaded, with their reasons and raw records."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ibis

    from shopscope.warehouse.connection import Warehouse

__all__ = ["quarantine_rows"]


def quarantine_rows(
    wh: Warehouse,
    *,
    batch: int | None = None,
    table: str | None = None,
    reason: str | None = None,
) -> ibis.Table:
    """Quarantined rows, filtered by batch, target table and reason code, in file order."""
    q = wh.table("quarantine")
    if batch is not None:
        q = q.filter(q.batch_id == batch)
    if table is not None:
        q = q.filter(q.table_name == table)
    if reason is not None:
        q = q.filter(q.reason_code == reason)
    return q.order_by([q.batch_id, q.line, q.table_name])
