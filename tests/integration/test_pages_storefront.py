"""Storefront pages through the real app: the assistant desk and recommendations, en and zh."""

from __future__ import annotations

import re
from typing import Any

import pytest
from markupsafe import escape
from server_helpers import csrf_of
from test_api_storefront import shop_client, shop_env, two_customers_orders

from shopscope.server.i18n import catalog
from shopscope.warehouse.connection import connect

__all__ = ["shop_client", "shop_env"]  # fixtures shared with the API tests

EXECUTION, TACTICAL = "cs_agent", "user_ops"


def english_only_messages() -> set[str]:
    en, zh = catalog("en").messages, catalog("zh").messages
    return {v for k, v in en.items() if v != zh[k] and "{" not in v and len(v.split()) >= 2}


def assert_complete(html: str, lang: str) -> None:
    """No missing message, the page's language, and no English UI message on a Chinese page.

    Only ``<main>`` is checked for messages: the navigation holds other domains' entries,
    which the core page tests check.
    """
    assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in html
    html = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert "⟦" not in html, re.findall("⟦[^⟧]*⟧", html)
    if lang == "zh":
        leaked = sorted(m for m in english_only_messages() if f">{m}<" in html)
        assert leaked == [], leaked


@pytest.fixture
def in_language(request: pytest.FixtureRequest) -> Any:
    """Set the language cookie on a client for one test, then remove it."""
    touched: list[Any] = []

    def use(client: Any, lang: str) -> Any:
        client.cookies.set("shopscope_lang", lang)
        touched.append(client)
        return client

    yield use
    for c in touched:
        c.cookies.delete("shopscope_lang")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_assistant_page_renders_with_order_lookup_and_tickets(
    app_env, client_for, in_language, lang
):
    order_id, _owner, _other = two_customers_orders(app_env.warehouse)
    c = in_language(client_for(EXECUTION), lang)
    r = c.get(f"/execution/assistant?order={order_id}&grain=month")
    assert r.status_code == 200, r.text[:500]
    assert_complete(r.text, lang)
    t = catalog(lang)
    assert t("assist.tickets") in r.text and 'data-chart="chart-ticket-volume"' in r.text
    assert f"data-order-id>{order_id}<" in r.text
    assert 'name="csrf_token"' in r.text and "<script>" not in r.text
    missing = c.get("/execution/assistant?order=NOPE-123456")
    assert missing.status_code == 200
    assert t("assist.order_missing", order="NOPE-123456") in missing.text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_assistant_form_answers(app_env, client_for, in_language, lang):
    order_id, owner, other = two_customers_orders(app_env.warehouse)
    c = in_language(client_for(EXECUTION), lang)
    token = csrf_of(c.get("/execution/assistant").text)
    r = c.post(
        "/execution/assistant",
        data={"question": f"Where is my order {order_id}?", "customer_id": owner,
              "language": "", "csrf_token": token},
    )  # fmt: skip
    assert r.status_code == 200, r.text[:500]
    assert_complete(r.text, lang)
    assert 'data-intent="order_status"' in r.text and 'data-reason="order_found"' in r.text
    assert 'data-escalate="false"' in r.text and f"data-order-id>{order_id}<" in r.text
    assert f"warehouse:orders/{order_id}" in r.text
    # another customer's id: not found, the order is not shown
    r = c.post(
        "/execution/assistant",
        data={"question": f"Where is my order {order_id}?", "customer_id": other,
              "csrf_token": token},
    )  # fmt: skip
    assert 'data-reason="order_not_found"' in r.text and "data-order-id>" not in r.text


def test_assistant_form_rejects_missing_csrf_and_bad_input(client_for):
    c = client_for(EXECUTION)
    r = c.post("/execution/assistant", data={"question": "where is my order?"})
    assert r.status_code == 403 and "text/html" in r.headers["content-type"]
    r = c.post("/execution/assistant", data={"question": "hi", "csrf_token": "forged"})
    assert r.status_code == 403
    token = csrf_of(c.get("/execution/assistant").text)
    empty = c.post("/execution/assistant", data={"question": "  ", "csrf_token": token})
    assert empty.status_code == 400
    assert str(escape(catalog("en")("assist.error_empty"))) in empty.text
    long = c.post("/execution/assistant", data={"question": "x" * 2001, "csrf_token": token})
    assert long.status_code == 400 and 'role="alert"' in long.text


def test_escalation_is_flagged_on_the_page(shop_client):
    c = shop_client(EXECUTION)
    token = csrf_of(c.get("/execution/assistant").text)
    r = c.post(
        "/execution/assistant",
        data={"question": "I want to make a complaint, let me talk to a manager",
              "csrf_token": token},
    )  # fmt: skip
    assert r.status_code == 200 and 'data-escalate="true"' in r.text


def test_recommendations_page_before_the_build(client_for):
    r = client_for(TACTICAL).get("/tactical/recommendations?customer=C00000001")
    assert r.status_code == 200
    assert "<code data-build-command>shopscope recommend build</code>" in r.text
    assert client_for(EXECUTION).get("/tactical/recommendations").status_code == 403


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_recommendations_page_shows_the_lists(shop_env, shop_client, in_language, lang):
    with connect(shop_env.warehouse, read_only=True) as wh:
        customer, first = wh.duckdb.execute(
            "SELECT customer_id, sku FROM reco_user_topk WHERE rank = 1 ORDER BY customer_id "
            "LIMIT 1"
        ).fetchone()
        sku, related = wh.duckdb.execute(
            "SELECT sku, related_sku FROM reco_item_topk WHERE list = 'bought_together' "
            "AND rank = 1 ORDER BY sku LIMIT 1"
        ).fetchone()
    c = in_language(shop_client(TACTICAL), lang)
    r = c.get(f"/tactical/recommendations?customer={customer}&sku={sku}&k=5")
    assert r.status_code == 200, r.text[:500]
    assert_complete(r.text, lang)
    for table, top in (("customer", first), ("item", related)):
        body = r.text.split(f'data-reco="{table}"')[1]
        assert re.search(rf'<th scope="row">{re.escape(top)}</th>', body.split("</table>")[0])
    assert 'data-source="personal"' in r.text and 'data-reco="trending"' in r.text
    csv_export = c.get(f"/tactical/recommendations?customer={customer}&export=customer")
    assert csv_export.status_code == 200 and first in csv_export.text
    assert c.get("/tactical/recommendations?list=cheapest").status_code == 422
