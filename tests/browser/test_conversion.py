"""Conversion pages in real Chromium: the funnel and lift charts render, nothing errors."""

from __future__ import annotations

from test_workspaces import sign_in

PAGES = {
    "/tactical/conversion?steps=product_view,add_to_cart,purchase&window=1d": 1,
    "/tactical/experiments/checkout_button_2026": 1,
    "/execution/carts": 0,
}


def test_conversion_pages_render_with_charts(page, live_server, artifacts):
    sign_in(page, live_server, "activity_ops")
    for path, charts in PAGES.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        if charts:
            page.wait_for_function(
                "(n) => document.querySelectorAll('[data-rendered=true] .main-svg').length >= n",
                arg=charts,
            )
        name = "activity_ops" + path.split("?")[0].replace("/", "_") + ".png"
        page.screenshot(path=str(artifacts / name), full_page=True)
    page.click('a[href="/tactical/conversion"]')
    page.wait_for_url("**/tactical/conversion")
    assert page.console_errors == []
    assert page.external_requests == []
