"""Storefront endpoints: the customer-service assistant, order lookup, ticket analytics and
recommendations (served from the precomputed tables of ``shopscope recommend build``).

See ``docs/methods/assistant.md`` and ``docs/methods/recommendations.md``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import date
from pathlib import Path as Path_
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from shopscope.errors import NotFoundError
from shopscope.server.api.common import ERRORS, Fmt, cached, csv_response, json_result
from shopscope.server.auth import Principal, require
from shopscope.server.errors import ApiError
from shopscope.server.state import get_state, open_warehouse
from shopscope.warehouse.connection import Warehouse

if TYPE_CHECKING:
    from shopscope.storefront.assistant import Answer, OrderFacts, TicketStats
    from shopscope.storefront.recommend import Evaluation, Recommendations
    from shopscope.storefront.recommend.index import ServingIndex

__all__ = [
    "AskBody",
    "ask_assistant",
    "evaluation_for",
    "missing_reco_tables",
    "order_facts",
    "reco_for_item",
    "reco_for_user",
    "reco_index",
    "router",
    "tickets_for",
    "trending",
]

router = APIRouter(tags=["storefront"], responses=ERRORS)
WH = Annotated[Warehouse, Depends(open_warehouse)]
Agent = Annotated[Principal, Depends(require("assist.use"))]
Reader = Annotated[Principal, Depends(require("recommend.read"))]

MAX_QUESTION = 2_000
MAX_ID = 64
ItemListName = Literal["bought_together", "also_viewed", "similar"]
BUILD_COMMAND = "shopscope recommend build"
EVALUATION_MODELS = ("popular", "trending", "item-knn-bm25", "als")


class AskBody(BaseModel):
    """A customer's question for the assistant."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION,
        description="The customer's message, English or Chinese (1-2,000 characters).",
    )
    customer_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_ID,
        description="Who is asking, when known: only that customer's orders are looked up.",
    )
    language: Literal["en", "zh"] | None = Field(
        default=None, description="Reply language (default: detected from the question)."
    )


# -- assistant ---------------------------------------------------------------------------------


def ask_assistant(
    request: Request,
    wh: Warehouse,
    question: str,
    *,
    customer_id: str | None = None,
    language: str | None = None,
) -> Answer:
    """The assistant's answer; the knowledge base is built once per warehouse version (cached).

    With ``customer_id`` the assistant reports another customer's order exactly as a missing
    one (see ``storefront/assistant/orders.py``).
    """
    from shopscope.storefront.assistant import Assistant, KnowledgeBase, read_kb

    kb = cached(request, "assist_kb", lambda: KnowledgeBase(read_kb(wh)))
    return Assistant(wh, kb=kb).ask(question, customer_id=customer_id, language=language)


def order_facts(wh: Warehouse, order_id: str) -> OrderFacts:
    """The order with its lines (agent lookup: any customer's), or NotFoundError."""
    from shopscope.storefront.assistant import lookup_order

    facts = lookup_order(wh, order_id)
    if facts is None:
        raise NotFoundError(
            f"No order {order_id!r} in the warehouse. Check the number (ids look like "
            "'536365' or 'O240701-000001') or ask the customer for it."
        )
    return facts


def tickets_for(
    request: Request,
    wh: Warehouse,
    start: date | None,
    end: date | None,
    grain: Literal["day", "week", "month"],
    top: int,
) -> TicketStats:
    """Ticket volume, resolution time and topics (cached)."""
    from shopscope.storefront.assistant import ticket_stats

    return cached(
        request,
        ("ticket_stats", start, end, grain, top),
        lambda: ticket_stats(wh, start=start, end=end, grain=grain, top=top),
    )


@router.post("/assistant/ask")
def ask(request: Request, wh: WH, _p: Agent, body: AskBody) -> Response:
    """Answer a customer question: reply, intent, confidence, escalation, suggested replies
    (each with its source), and the order facts when an order was looked up. With
    ``customer_id`` only that customer's orders are read (another customer's order is answered
    exactly like a missing one). Session clients send ``X-CSRF-Token``.
    """
    answer = ask_assistant(
        request, wh, body.question, customer_id=body.customer_id, language=body.language
    )
    return json_result(answer)


@router.get("/assistant/orders/{order_id}")
def order(
    wh: WH,
    _p: Agent,
    order_id: Annotated[
        str, Path(min_length=1, max_length=MAX_ID, description="The order id, e.g. 536365.")
    ],
) -> Response:
    """Order lookup for agents: status, dates, amounts and lines with product titles."""
    return json_result(order_facts(wh, order_id))


@router.get("/tickets/stats")
def tickets(
    request: Request,
    wh: WH,
    _p: Agent,
    start: Annotated[date | None, Query(alias="from", description="First day, YYYY-MM-DD.")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day, YYYY-MM-DD.")] = None,
    grain: Annotated[
        Literal["day", "week", "month"], Query(description="Volume buckets.")
    ] = "week",
    top: Annotated[int, Query(ge=1, le=50, description="How many topics to list.")] = 10,
) -> Response:
    """Ticket volume per period, by channel, language and status; first-response and
    resolution hours (median, p90); top topics with share."""
    return json_result(tickets_for(request, wh, start, end, grain, top))


# -- recommendations ---------------------------------------------------------------------------


def missing_reco_tables(wh: Warehouse) -> list[str]:
    """The recommendation tables that do not exist yet (empty when the lists are built)."""
    from shopscope.storefront.recommend.store import RECO_TABLES

    return [name for name in RECO_TABLES if not wh.has_table(name)]


def _not_built_error(missing: list[str]) -> ApiError:
    return ApiError(
        404,
        "recommendations_not_built",
        f"The recommendation lists have not been built (missing: {', '.join(missing)}). "
        f"Run `{BUILD_COMMAND}` on the warehouse, then ask again.",
        details=[{"missing": missing, "command": BUILD_COMMAND}],
    )


@contextmanager
def _request_warehouse(request: Request) -> Iterator[Warehouse]:
    """The warehouse as a request would open it (read-only, or the ingesting connection)."""
    opened = cast("Generator[Warehouse, None, None]", open_warehouse(request))
    wh = next(opened)
    try:
        yield wh
    finally:
        opened.close()


def reco_index(request: Request) -> ServingIndex:
    """The app's in-process index of the precomputed lists (shared with the pages).

    Loaded on the first lookup; afterwards a lookup opens the warehouse only when the file
    changed and the build id is due for a check (see ``storefront/recommend/cache.py``), so
    serving is a dictionary probe. 404 ``recommendations_not_built`` before the first build.
    """
    from shopscope.storefront.recommend.cache import shared_cache
    from shopscope.warehouse.connection import parse_url

    url = get_state(request).settings.warehouse
    parsed = parse_url(url)
    path = (
        str(Path_(parsed.path).absolute()) if parsed.backend == "duckdb" and parsed.path else None
    )
    try:
        return shared_cache().get(path or url, lambda: _request_warehouse(request), path=path)
    except NotFoundError:
        with _request_warehouse(request) as wh:
            missing = missing_reco_tables(wh)
        if not missing:
            raise
        raise _not_built_error(missing) from None


def reco_for_user(request: Request, customer_id: str, k: int) -> Recommendations:
    """The customer's list, or the trending fallback (lists must be built)."""
    from shopscope.storefront.recommend import recommend_for_user

    index = reco_index(request)
    return recommend_for_user(None, customer_id, k=k, index=index)


def reco_for_item(request: Request, sku: str, kind: ItemListName, k: int) -> Recommendations:
    """Related SKUs of ``kind`` with the category / trending fallbacks (lists must be built)."""
    from shopscope.storefront.recommend import recommend_for_item

    index = reco_index(request)
    return recommend_for_item(None, sku, kind=kind, k=k, index=index)


def trending(request: Request, k: int) -> list[dict[str, Any]]:
    """The top ``k`` of the trending list (lists must be built)."""
    from shopscope.storefront.recommend.serve import trending_list

    reco = trending_list(None, k=k, index=reco_index(request))
    return [
        {"rank": i.rank, "sku": i.sku, "title": i.title, "category": i.category,
         "price": i.price, "score": i.score}
        for i in reco.items
    ]  # fmt: skip


def evaluation_for(request: Request, wh: Warehouse, k: int, test_days: int) -> Evaluation:
    """Offline evaluation with a temporal split (cached: it fits the models)."""
    from shopscope.storefront.recommend import evaluate

    return cached(
        request,
        ("reco_evaluation", k, test_days),
        lambda: evaluate(wh, k=k, test_days=test_days, models=EVALUATION_MODELS, seed=42),
    )


def _reco_response(
    request: Request, p: Principal, reco: Recommendations, fmt: Fmt, name: str
) -> Response:
    if fmt == "csv":
        rows = [asdict(i) | {"source": reco.source} for i in reco.items]
        return csv_response(request, p, rows, name)
    return json_result(reco)


K = Annotated[int, Query(ge=1, le=200, description="How many items (1-200).")]
Format = Annotated[Fmt, Query(alias="format", description="json or csv (a download).")]


@router.get("/recommendations/users/{customer_id}")
def user_recommendations(
    request: Request,
    p: Reader,
    customer_id: Annotated[
        str, Path(min_length=1, max_length=MAX_ID, description="The customer id.")
    ],
    k: K = 10,
    fmt: Format = "json",
) -> Response:
    """The customer's precomputed list; an unknown customer gets trending items
    (``source`` says which). 404 ``recommendations_not_built`` before the first build."""
    reco = reco_for_user(request, customer_id, k)
    return _reco_response(request, p, reco, fmt, f"recommendations_{customer_id}")


@router.get("/recommendations/items/{sku}")
def item_recommendations(
    request: Request,
    p: Reader,
    sku: Annotated[str, Path(min_length=1, max_length=MAX_ID, description="The product SKU.")],
    kind: Annotated[ItemListName, Query(alias="list", description="Which list.")] = (
        "bought_together"
    ),
    k: K = 10,
    fmt: Format = "json",
) -> Response:
    """SKUs bought together with, viewed with, or similar to ``sku``; a SKU without a list
    gets its category's trending items, then trending (``source`` says which)."""
    reco = reco_for_item(request, sku, kind, k)
    return _reco_response(request, p, reco, fmt, f"recommendations_{sku}_{kind}")


@router.get("/recommendations/evaluation")
def recommendation_evaluation(
    request: Request,
    wh: WH,
    _p: Reader,
    k: Annotated[int, Query(ge=1, le=100, description="Cut-off of the ranking metrics.")] = 10,
    test_days: Annotated[int, Query(ge=7, le=365, description="Test period in days.")] = 90,
) -> Response:
    """Offline evaluation (temporal split): recall, precision, NDCG, MAP@k and coverage of
    popular, trending, item-kNN (BM25) and ALS. Fits the models: slow the first time, cached."""
    return json_result(evaluation_for(request, wh, k, test_days))
