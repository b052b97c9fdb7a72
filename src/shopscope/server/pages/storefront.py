"""Storefront pages: the CS assistant desk (execution) and recommendation lists (tactical)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.server.api.common import shop_currency
from shopscope.server.api.storefront import (
    BUILD_COMMAND,
    MAX_ID,
    MAX_QUESTION,
    ItemListName,
    ask_assistant,
    missing_reco_tables,
    order_facts,
    reco_for_item,
    reco_for_user,
    tickets_for,
    trending,
)
from shopscope.server.auth import Principal, check_csrf, require
from shopscope.server.i18n import catalog
from shopscope.server.pages import NavItem
from shopscope.server.pages.charts import bar_chart
from shopscope.server.pages.render import page_language, render
from shopscope.server.state import open_warehouse
from shopscope.warehouse.connection import Warehouse

__all__ = ["NAV", "router"]

router = APIRouter(include_in_schema=False)
NAV = (
    NavItem("nav.assistant", "/execution/assistant", "assist.use", 33),
    NavItem("nav.recommendations", "/tactical/recommendations", "recommend.read", 27),
)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Agent = Annotated[Principal, Depends(require("assist.use"))]
Reader = Annotated[Principal, Depends(require("recommend.read"))]
Grain = Literal["day", "week", "month"]
ITEM_LISTS: tuple[ItemListName, ...] = ("bought_together", "also_viewed", "similar")


def _assistant_page(
    request: Request,
    wh: Warehouse,
    p: Principal,
    *,
    start: date | None,
    end: date | None,
    grain: Grain,
    order_id: str | None = None,
    answer: Any = None,
    form: dict[str, str] | None = None,
    ask_error: str | None = None,
    status_code: int = 200,
) -> Response:
    t = catalog(page_language(request, p))
    stats = tickets_for(request, wh, start, end, grain, 10)
    chart = bar_chart(
        [str(r["period"]) for r in stats.volume],
        [r["tickets"] for r in stats.volume],
        title=t("assist.volume_chart"),
    )
    looked_up, order_missing = None, False
    if order_id:
        try:
            looked_up = order_facts(wh, order_id)
        except NotFoundError:
            order_missing = True
    return render(
        request,
        "storefront/assistant.html",
        status_code=status_code,
        principal=p,
        answer=answer,
        form=form or {"question": "", "customer_id": "", "language": ""},
        ask_error=ask_error,
        max_question=MAX_QUESTION,
        max_id=MAX_ID,
        order_id=order_id or "",
        looked_up=looked_up,
        order_missing=order_missing,
        stats=stats,
        volume_chart=chart,
        start=start,
        end=end,
        grain=grain,
        currency=shop_currency(request, wh),
        tables={
            "ticket_volume": stats.volume,
            "ticket_topics": stats.topics,
            "order_lines": [asdict(line) for line in looked_up.lines] if looked_up else [],
        },
    )


StartQ = Annotated[date | None, Query(alias="from")]
EndQ = Annotated[date | None, Query(alias="to")]
GrainQ = Annotated[Grain, Query()]


@router.get("/execution/assistant")
def assistant(
    request: Request,
    wh: WH,
    p: Agent,
    start: StartQ = None,
    end: EndQ = None,
    grain: GrainQ = "week",
    order: Annotated[str | None, Query(max_length=MAX_ID)] = None,
) -> Response:
    """The question form, the order-lookup box and the ticket analytics."""
    return _assistant_page(
        request, wh, p, start=start, end=end, grain=grain, order_id=(order or "").strip()
    )


@router.post("/execution/assistant")
def assistant_ask(
    request: Request,
    wh: WH,
    p: Agent,
    question: Annotated[str, Form(max_length=4 * MAX_QUESTION)] = "",
    customer_id: Annotated[str, Form(max_length=MAX_ID)] = "",
    language: Annotated[Literal["", "en", "zh"], Form()] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Ask the assistant from the form (CSRF-checked); the answer is shown above the form."""
    check_csrf(request, p, csrf_token)
    t = catalog(page_language(request, p))
    form = {"question": question, "customer_id": customer_id, "language": language}
    answer, error, status = None, None, 200
    text = " ".join(question.split())
    if not text:
        error, status = t("assist.error_empty"), 400
    elif len(text) > MAX_QUESTION:
        error, status = t("assist.error_too_long", limit=f"{MAX_QUESTION:,}"), 400
    else:
        try:
            answer = ask_assistant(
                request,
                wh,
                text,
                customer_id=customer_id.strip() or None,
                language=language or None,
            )
        except InvalidInputError as exc:
            error, status = str(exc), 400
    return _assistant_page(
        request,
        wh,
        p,
        start=None,
        end=None,
        grain="week",
        answer=answer,
        form=form,
        ask_error=error,
        status_code=status,
    )


@router.get("/tactical/recommendations")
def recommendations(
    request: Request,
    wh: WH,
    p: Reader,
    customer: Annotated[str | None, Query(max_length=MAX_ID)] = None,
    sku: Annotated[str | None, Query(max_length=MAX_ID)] = None,
    kind: Annotated[ItemListName, Query(alias="list")] = "bought_together",
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> Response:
    """A customer's list and a SKU's related items (query parameters), and what is trending."""
    customer = (customer or "").strip()
    sku = (sku or "").strip()
    missing = missing_reco_tables(wh)
    user_reco = item_reco = None
    top: list[dict[str, Any]] = []
    if not missing:  # served from the app's in-process index, as the API serves them
        user_reco = reco_for_user(request, customer, k) if customer else None
        item_reco = reco_for_item(request, sku, kind, k) if sku else None
        top = trending(request, k)
    return render(
        request,
        "storefront/recommendations.html",
        principal=p,
        missing=missing,
        build_command=BUILD_COMMAND,
        customer=customer,
        sku=sku,
        kind=kind,
        kinds=ITEM_LISTS,
        k=k,
        max_id=MAX_ID,
        user_reco=user_reco,
        item_reco=item_reco,
        trending=top,
        currency=shop_currency(request, wh),
        tables={
            "customer": [asdict(i) for i in user_reco.items] if user_reco else [],
            "item": [asdict(i) for i in item_reco.items] if item_reco else [],
            "trending": top,
        },
    )
