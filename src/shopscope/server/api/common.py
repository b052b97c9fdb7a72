"""Shared pieces of the API modules: period filters, pagination, CSV export, JSON results."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from shopscope.appdb.records import audit
from shopscope.cli.output import to_jsonable
from shopscope.server.auth import Principal, client_ip
from shopscope.server.errors import ApiError
from shopscope.server.state import get_state

__all__ = [
    "DimensionName",
    "ErrorResponse",
    "Fmt",
    "PageParams",
    "PeriodParams",
    "cached",
    "csv_response",
    "json_result",
    "list_result",
    "period_params",
    "shop_currency",
]

T = TypeVar("T")
Fmt = Literal["json", "csv"]
DimensionName = Literal[
    "channel", "campaign", "category", "product", "country", "region", "device",
    "customer_type", "segment",
]  # fmt: skip
"""The breakdown dimensions of :data:`shopscope.insight.DIMENSIONS` (a test keeps them equal)."""


class ErrorDetail(BaseModel):
    """The body of every error."""

    status: int
    code: str
    message: str
    details: list[Any]


class ErrorResponse(BaseModel):
    """``{"error": {...}}``, the one error shape of the API."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": ErrorResponse, "description": d}
    for s, d in (
        (400, "Invalid input"),
        (401, "Not signed in, session expired, or bad API token"),
        (403, "Permission missing (or CSRF token missing on an unsafe session request)"),
        (404, "Not found"),
        (422, "Request validation failed"),
    )
}
"""Error responses every endpoint documents in OpenAPI."""


@dataclass(frozen=True)
class PeriodParams:
    """The date-range filter of an analysis: ``from``, ``to`` (inclusive) and ``compare``."""

    start: date | None
    end: date | None
    compare: Literal["previous", "yoy"]


def period_params(
    start: Annotated[date | None, Query(alias="from", description="First day, YYYY-MM-DD.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, YYYY-MM-DD.")] = None,
    compare: Annotated[
        Literal["previous", "yoy"], Query(description="Compare with the previous period or yoy.")
    ] = "previous",
) -> PeriodParams:
    """Dependency: the period filter (defaults: the last 28 days of data, previous period)."""
    return PeriodParams(start, end, compare)


@dataclass(frozen=True)
class PageParams:
    """Pagination and output format of a list endpoint."""

    limit: int
    offset: int
    fmt: Fmt


def page_params(
    limit: Annotated[int, Query(ge=1, le=1000, description="Items per page (1-1000).")] = 100,
    offset: Annotated[int, Query(ge=0, description="Items to skip.")] = 0,
    fmt: Annotated[
        Fmt, Query(alias="format", description="json (a page) or csv (every row, a download).")
    ] = "json",
) -> PageParams:
    """Dependency: ``limit``, ``offset`` and ``format``."""
    return PageParams(limit, offset, fmt)


Paging = Annotated[PageParams, Depends(page_params)]
Period = Annotated[PeriodParams, Depends(period_params)]


def cached(request: Request, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()`` through the app's result cache."""
    return get_state(request).cache.get(key, compute)


def shop_currency(request: Request, wh: Any) -> str:
    """The currency of the shop's orders (the first one found; cached)."""

    def first() -> str:
        rows = wh.table("orders").select("currency").limit(1).to_pyarrow().to_pylist()
        return str(rows[0]["currency"] or "") if rows else ""

    return cached(request, "currency", first)


def json_result(value: Any) -> JSONResponse:
    """A result object (dataclass, Arrow table, ...) as JSON."""
    return JSONResponse(to_jsonable(value))


_FORMULA = re.compile(r"^[=+\-@\t\r]")


def _csv_cell(value: Any) -> Any:
    value = to_jsonable(value)
    if value is None:
        return ""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value  # no formula injection when a spreadsheet opens the file
    if isinstance(value, list | dict):
        return str(value)
    return value


def csv_response(
    request: Request, principal: Principal, rows: Sequence[dict[str, Any]], name: str
) -> Response:
    """Every row as a CSV download; needs ``export.csv`` and is written to the audit log."""
    if not principal.can("export.csv"):
        raise ApiError(
            403,
            "forbidden",
            f"CSV export needs the permission 'export.csv', which the role "
            f"{principal.role_key!r} does not hold.",
            details=[{"permission": "export.csv", "role": principal.role_key}],
        )
    buf = io.StringIO()
    columns = list(rows[0]) if rows else []
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
    with get_state(request).db.session() as s:
        audit(
            s,
            principal.username,
            "export.csv",
            target=request.url.path,
            ip=client_ip(request),
            details={"rows": len(rows), "query": str(request.url.query)[:500]},
        )
    safe = re.sub(r"[^a-z0-9_-]", "_", name.lower())
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'},
    )


def list_result(
    request: Request,
    principal: Principal,
    rows: Sequence[Any],
    page: PageParams,
    *,
    name: str,
) -> Response:
    """A page of ``rows`` as ``{items, total, limit, offset, next_offset}``, or all as CSV."""
    plain = [to_jsonable(r) for r in rows]
    if page.fmt == "csv":
        return csv_response(request, principal, plain, name)
    items = plain[page.offset : page.offset + page.limit]
    nxt = page.offset + page.limit
    return JSONResponse(
        {
            "items": items,
            "total": len(plain),
            "limit": page.limit,
            "offset": page.offset,
            "next_offset": nxt if nxt < len(plain) else None,
        }
    )
