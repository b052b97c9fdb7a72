"""Storefront API through the real app: assistant, order lookup, tickets, recommendations.

Two apps: the session's shared demo store (no knowledge base, no recommendation tables: the
"not built" path) and this module's own small demo store with a knowledge base and built
recommendation tables (``shop_env``, also used by ``test_pages_storefront.py``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from server_helpers import AppEnv, assert_error, login

from shopscope.storefront.assistant import KBEntry
from shopscope.warehouse.connection import connect

EXECUTION, TACTICAL, STRATEGIC = "cs_agent", "user_ops", "operations_director"
ENDPOINTS = {
    ("POST", "/api/v1/assistant/ask"),
    ("GET", "/api/v1/assistant/orders/{order_id}"),
    ("GET", "/api/v1/tickets/stats"),
    ("GET", "/api/v1/recommendations/users/{customer_id}"),
    ("GET", "/api/v1/recommendations/items/{sku}"),
    ("GET", "/api/v1/recommendations/evaluation"),
}
KB = [
    KBEntry(
        "faq-ship", "How long does delivery take?", "Delivery takes 3-5 working days.", "en",
        ("shipping_time",), "test",
    ),
    KBEntry(
        "faq-pay", "Which payment methods do you accept?", "We accept cards and PayPal.", "en",
        ("payment",), "test",
    ),
    KBEntry(
        "faq-pay-zh", "你们支持哪些付款方式？", "我们支持银行卡和支付宝。", "zh",
        ("payment",), "test",
    ),
]  # fmt: skip

_SHOP: dict[str, Any] = {}


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


@pytest.fixture
def shop_env(tmp_path_factory: pytest.TempPathFactory) -> AppEnv:
    """A small demo store of our own with a knowledge base and built recommendation tables."""
    if "env" not in _SHOP:
        from shopscope.cli.server import create_demo_accounts
        from shopscope.server import ServerSettings, create_app
        from shopscope.storefront.assistant import store_kb
        from shopscope.storefront.recommend import build_recommendations
        from shopscope.warehouse.demo import generate_demo

        root = tmp_path_factory.mktemp("storefront")
        url = f"duckdb:///{root / 'shop.duckdb'}"
        with connect(url) as wh:
            generate_demo(wh, size=3000, seed=11, end_date=date(2026, 6, 30))
            store_kb(wh, KB)
            build_recommendations(wh, k=10, model="item-knn-bm25", seed=1)
        appdb = f"sqlite:///{root / 'app.sqlite3'}"
        made = create_demo_accounts(appdb, url, seed=3)
        settings = ServerSettings(warehouse=url, appdb=appdb, login_max_failures=1000)
        app = create_app(settings)
        _SHOP["env"] = AppEnv(app, appdb, url, {a.role: (a.username, a.password) for a in made})
        _SHOP["clients"] = {}
    env: AppEnv = _SHOP["env"]
    return env


@pytest.fixture
def shop_client(shop_env: AppEnv) -> Callable[[str], TestClient]:
    """A signed-in client of ``shop_env`` per role (shared; do not sign out)."""
    clients: dict[str, TestClient] = _SHOP["clients"]

    def get(role: str) -> TestClient:
        if role not in clients:
            client = TestClient(shop_env.app, raise_server_exceptions=False)
            assert login(client, *shop_env.accounts[role]).status_code == 303
            clients[role] = client
        return clients[role]

    return get


def scoped_token_client(client: TestClient, app: Any, scopes: list[str]) -> TestClient:
    """A client authenticated by an API token holding only ``scopes``."""
    made = client.post(
        "/api/v1/tokens", json={"name": "narrow", "scopes": scopes}, headers=csrf(client)
    )
    assert made.status_code == 201, made.text
    bot = TestClient(app, raise_server_exceptions=False)
    bot.headers["Authorization"] = f"Bearer {made.json()['token']}"
    return bot


def sql(url: str, query: str, *args: object) -> list[tuple[Any, ...]]:
    with connect(url, read_only=True) as wh:
        return wh.duckdb.execute(query, list(args)).fetchall()


def two_customers_orders(url: str) -> tuple[str, str, str]:
    """(order id, its customer, another customer with orders)."""
    rows = sql(
        url,
        "SELECT o.order_id, o.customer_id FROM orders o WHERE o.customer_id IS NOT NULL "
        "AND (SELECT count(*) FROM order_items i WHERE i.order_id = o.order_id) > 0 "
        "ORDER BY o.order_id LIMIT 1",
    )
    order_id, owner = rows[0]
    other = sql(
        url,
        "SELECT customer_id FROM orders WHERE customer_id IS NOT NULL AND customer_id <> ? "
        "ORDER BY customer_id LIMIT 1",
        owner,
    )[0][0]
    return str(order_id), str(owner), str(other)


# -- coverage and permissions -------------------------------------------------------------------


def test_every_storefront_endpoint_is_listed(app_env: AppEnv):
    schema = TestClient(app_env.app).get("/api/v1/openapi.json").json()
    found = {
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if "storefront" in op.get("tags", [])
    }
    assert found == ENDPOINTS
    assert "assist.use" in str(schema["paths"]["/api/v1/assistant/ask"]["post"])


def test_assistant_endpoints_need_assist_use(app_env: AppEnv, client_for, anon):
    order_id, _owner, _other = two_customers_orders(app_env.warehouse)
    # every role holds assist.use, so the refused principal is a token without that scope
    bot = scoped_token_client(client_for(EXECUTION), app_env.app, ["live.read"])
    calls = [
        ("POST", "/api/v1/assistant/ask", {"question": "where is my order"}),
        ("GET", f"/api/v1/assistant/orders/{order_id}", None),
        ("GET", "/api/v1/tickets/stats", None),
    ]
    for method, url, body in calls:
        err = assert_error(bot.request(method, url, json=body), 403, "forbidden")
        assert err["details"][0]["permission"] == "assist.use"
        assert_error(anon.request(method, url, json=body), 401, "unauthenticated")
    # the same token with the scope may ask (tokens need no CSRF header)
    ok = scoped_token_client(client_for(EXECUTION), app_env.app, ["assist.use"])
    assert ok.post("/api/v1/assistant/ask", json={"question": "hello"}).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/recommendations/users/C00000001",
        "/api/v1/recommendations/items/SKU1",
        "/api/v1/recommendations/evaluation",
    ],
)
def test_recommendation_endpoints_need_recommend_read(client_for, anon, url):
    err = assert_error(client_for(EXECUTION).get(url), 403, "forbidden")
    assert err["details"] == [{"permission": "recommend.read", "role": EXECUTION}]
    assert_error(anon.get(url), 401, "unauthenticated")


# -- assistant ----------------------------------------------------------------------------------


def test_ask_needs_the_csrf_header_from_a_session(client_for):
    agent = client_for(EXECUTION)
    body = {"question": "where is my order?"}
    assert_error(agent.post("/api/v1/assistant/ask", json=body), 403, "csrf_failed")
    bad = {"X-CSRF-Token": "not-the-token"}
    assert_error(agent.post("/api/v1/assistant/ask", json=body, headers=bad), 403, "csrf_failed")


def test_ask_answers_with_the_real_order(app_env: AppEnv, client_for):
    order_id, owner, _other = two_customers_orders(app_env.warehouse)
    agent = client_for(EXECUTION)
    r = agent.post(
        "/api/v1/assistant/ask",
        json={"question": f"Where is my order {order_id}?", "customer_id": owner},
        headers=csrf(agent),
    )
    assert r.status_code == 200, r.text
    a = r.json()
    status, n_lines = sql(
        app_env.warehouse,
        "SELECT o.status, (SELECT count(*) FROM order_items i WHERE i.order_id = o.order_id) "
        "FROM orders o WHERE o.order_id = ?",
        order_id,
    )[0]
    assert a["reason"] == "order_found" and a["escalate"] is False
    assert a["intent"] == "order_status" and a["language"] == "en"
    assert a["order"]["order_id"] == order_id and a["order"]["customer_id"] == owner
    assert a["order"]["status"] == status and a["order"]["line_count"] == n_lines
    sources = [s["source"] for s in a["suggestions"]]
    assert sources[0] == f"warehouse:orders/{order_id}"
    assert {"text", "confidence", "source", "kind"} <= set(a["suggestions"][0])


def test_ask_never_shows_another_customers_order(app_env: AppEnv, client_for):
    order_id, owner, other = two_customers_orders(app_env.warehouse)
    skus = {
        s
        for (s,) in sql(
            app_env.warehouse, "SELECT sku FROM order_items WHERE order_id = ?", order_id
        )
    }
    agent = client_for(EXECUTION)
    question = f"Where is my order {order_id}?"
    theirs = agent.post(
        "/api/v1/assistant/ask",
        json={"question": question, "customer_id": other},
        headers=csrf(agent),
    ).json()
    missing = agent.post(
        "/api/v1/assistant/ask",
        json={"question": "Where is my order 99999999?", "customer_id": other},
        headers=csrf(agent),
    ).json()
    assert theirs["order"] is None and theirs["reason"] == "order_not_found"
    assert missing["reason"] == "order_not_found"
    # the same words as for a missing order, and nothing of the order leaks
    assert theirs["reply"] == missing["reply"].replace("99999999", order_id)
    text = str(theirs)
    assert owner not in text and not any(sku in text for sku in skus)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"question": ""}, 422, "validation_error"),
        ({"question": "   \n "}, 400, "invalid_input"),
        ({"question": "x" * 2001}, 422, "validation_error"),
        ({"question": "hi", "language": "fr"}, 422, "validation_error"),
        ({"question": "hi", "customer_id": ""}, 422, "validation_error"),
        ({"question": "hi", "surprise": 1}, 422, "validation_error"),
        ({}, 422, "validation_error"),
    ],
)
def test_ask_bad_input_gets_the_error_shape(client_for, body, status, code):
    agent = client_for(EXECUTION)
    assert_error(agent.post("/api/v1/assistant/ask", json=body, headers=csrf(agent)), status, code)


def test_ask_answers_from_the_knowledge_base_with_sources(shop_client):
    agent = shop_client(EXECUTION)
    r = agent.post(
        "/api/v1/assistant/ask",
        json={"question": "Which payment methods do you accept?"},
        headers=csrf(agent),
    )
    a = r.json()
    assert r.status_code == 200 and a["reason"] == "faq_match" and not a["escalate"]
    assert a["reply"] == "We accept cards and PayPal." and a["confidence"] == 1.0
    assert a["suggestions"][0]["source"] == "kb:faq-pay" and a["order"] is None
    zh = agent.post(
        "/api/v1/assistant/ask", json={"question": "你们支持哪些付款方式？"}, headers=csrf(agent)
    ).json()
    assert zh["language"] == "zh" and zh["reply"] == "我们支持银行卡和支付宝。"
    angry = agent.post(
        "/api/v1/assistant/ask",
        json={"question": "This is terrible, I want to make a complaint and talk to a manager"},
        headers=csrf(agent),
    ).json()
    assert angry["escalate"] is True and angry["suggestions"][-1]["kind"] == "handoff"


def test_order_lookup(app_env: AppEnv, client_for):
    order_id, owner, _other = two_customers_orders(app_env.warehouse)
    r = client_for(EXECUTION).get(f"/api/v1/assistant/orders/{order_id}")
    assert r.status_code == 200, r.text
    o = r.json()
    expected = sql(
        app_env.warehouse,
        "SELECT i.sku, i.quantity FROM order_items i WHERE i.order_id = ? ORDER BY i.line_no",
        order_id,
    )
    assert o["customer_id"] == owner
    assert [(x["sku"], x["quantity"]) for x in o["lines"]] == [(s, int(q)) for s, q in expected]
    assert o["ordered_at"].startswith(str(sql(
        app_env.warehouse, "SELECT ordered_at::DATE FROM orders WHERE order_id = ?", order_id
    )[0][0]))  # fmt: skip
    err = assert_error(client_for(EXECUTION).get("/api/v1/assistant/orders/NOPE-123456"), 404)
    assert err["code"] == "not_found" and "NOPE-123456" in err["message"]
    long_id = "9" * 65
    assert_error(client_for(EXECUTION).get(f"/api/v1/assistant/orders/{long_id}"), 422)


def test_ticket_stats_match_the_table(app_env: AppEnv, client_for):
    agent = client_for(EXECUTION)
    r = agent.get("/api/v1/tickets/stats?grain=month&top=50")
    assert r.status_code == 200, r.text
    s = r.json()
    (total, resolved), = sql(
        app_env.warehouse, "SELECT count(*), count(resolved_at) FROM tickets"
    )  # fmt: skip
    assert s["tickets"] == total > 0 and s["resolved"] == resolved
    assert sum(v["tickets"] for v in s["volume"]) == total
    assert sum(t["tickets"] for t in s["topics"]) == total  # top=50 covers every topic
    june = agent.get("/api/v1/tickets/stats?from=2026-06-01&to=2026-06-30").json()
    (n_june,), = sql(
        app_env.warehouse,
        "SELECT count(*) FROM tickets "
        "WHERE created_at >= '2026-06-01' AND created_at < '2026-07-01'",
    )  # fmt: skip
    assert june["tickets"] == n_june
    assert_error(
        agent.get("/api/v1/tickets/stats?from=2026-06-30&to=2026-06-01"), 400, "invalid_input"
    )
    assert_error(agent.get("/api/v1/tickets/stats?grain=year"), 422, "validation_error")
    assert_error(agent.get("/api/v1/tickets/stats?top=0"), 422, "validation_error")


# -- recommendations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/api/v1/recommendations/users/C00000001", "/api/v1/recommendations/items/SKU1"],
)
def test_recommendations_before_the_build_say_how_to_build(client_for, url):
    err = assert_error(client_for(TACTICAL).get(url), 404, "recommendations_not_built")
    assert "shopscope recommend build" in err["message"]
    assert err["details"][0]["command"] == "shopscope recommend build"


def test_user_recommendations_are_the_stored_lists(shop_env: AppEnv, shop_client):
    (customer,), = sql(
        shop_env.warehouse, "SELECT customer_id FROM reco_user_topk ORDER BY customer_id LIMIT 1"
    )  # fmt: skip
    stored = sql(
        shop_env.warehouse,
        "SELECT sku FROM reco_user_topk WHERE customer_id = ? ORDER BY rank LIMIT 5",
        customer,
    )
    c = shop_client(TACTICAL)
    r = c.get(f"/api/v1/recommendations/users/{customer}?k=5")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["source"] == "personal" and body["subject"] == customer
    assert [i["sku"] for i in body["items"]] == [s for (s,) in stored]
    assert [i["rank"] for i in body["items"]] == list(range(1, len(stored) + 1))
    cold = c.get("/api/v1/recommendations/users/NEW-CUSTOMER").json()
    trending = sql(
        shop_env.warehouse,
        "SELECT sku FROM reco_popular WHERE list = 'trending' ORDER BY rank LIMIT 10",
    )
    assert cold["source"] == "fallback:trending"
    assert [i["sku"] for i in cold["items"]] == [s for (s,) in trending]
    exported = c.get(f"/api/v1/recommendations/users/{customer}?k=5&format=csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [row["sku"] for row in rows] == [s for (s,) in stored]
    assert {row["source"] for row in rows} == {"personal"}


def test_item_recommendations_and_bad_input(shop_env: AppEnv, shop_client):
    (sku,), = sql(
        shop_env.warehouse,
        "SELECT sku FROM reco_item_topk WHERE list = 'also_viewed' ORDER BY sku LIMIT 1",
    )  # fmt: skip
    stored = sql(
        shop_env.warehouse,
        "SELECT related_sku FROM reco_item_topk WHERE sku = ? AND list = 'also_viewed' "
        "ORDER BY rank",
        sku,
    )
    c = shop_client(TACTICAL)
    body = c.get(f"/api/v1/recommendations/items/{sku}?list=also_viewed&k=200").json()
    assert body["source"] == "also_viewed" and body["list"] == "also_viewed"
    assert [i["sku"] for i in body["items"]] == [s for (s,) in stored]
    assert (
        c.get("/api/v1/recommendations/items/NO-SUCH-SKU").json()["source"].startswith("fallback:")
    )
    for url in (
        f"/api/v1/recommendations/items/{sku}?list=cheapest",
        f"/api/v1/recommendations/items/{sku}?k=0",
        f"/api/v1/recommendations/items/{sku}?k=201",
        "/api/v1/recommendations/users/C1?format=xml",
    ):
        assert_error(c.get(url), 422, "validation_error")


def test_recommendation_evaluation(shop_client):
    c = shop_client(STRATEGIC)
    r = c.get("/api/v1/recommendations/evaluation?k=5&test_days=60")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["k"] == 5
    assert [m["model"] for m in body["models"]] == ["popular", "trending", "item-knn-bm25", "als"]
    assert all(0 <= m["recall"] <= 1 and 0 <= m["ndcg"] <= 1 for m in body["models"])
    assert_error(c.get("/api/v1/recommendations/evaluation?test_days=3"), 422)
