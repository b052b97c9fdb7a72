"""The CS assistant desk in Chromium: the ticket chart renders, the form answers with the real
order (CSRF token from the page), no console errors or external requests."""

from __future__ import annotations

from test_workspaces import sign_in


def test_assistant_desk_answers_an_order_question(page, live_server, artifacts, demo_wh):
    order_id = demo_wh.duckdb.execute(
        "SELECT order_id FROM orders WHERE customer_id IS NOT NULL ORDER BY order_id LIMIT 1"
    ).fetchone()[0]
    sign_in(page, live_server, "cs_agent")
    response = page.goto(f"{live_server.url}/execution/assistant")
    assert response.status == 200
    page.wait_for_function(
        "() => document.querySelectorAll('[data-rendered=true] .main-svg').length >= 1"
    )
    page.fill("#question", f"Where is my order {order_id}?")
    page.focus("#ask-submit")
    page.keyboard.press("Enter")  # keyboard only
    page.wait_for_selector("#answer")
    assert page.locator('[data-reason="order_found"]').count() == 1
    assert page.locator("#answer [data-order-id]").inner_text() == order_id
    page.screenshot(path=str(artifacts / "cs_agent_assistant.png"), full_page=True)
    # the order-lookup box
    page.fill("input[name=order]", order_id)
    page.press("input[name=order]", "Enter")
    page.wait_for_url(lambda url: "order=" in url)
    assert page.locator("[data-order-id]").inner_text() == order_id
    assert page.console_errors == []
    assert page.external_requests == []
