"""Supply pages in Chromium: the charts render, nothing errors, no external requests."""

from __future__ import annotations

import pytest
from test_workspaces import sign_in

# page → charts it draws
PAGES = {
    "/tactical/supply?level=category&key=Tea": 2,
    "/execution/restock": 0,
    "/execution/routes": 1,
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_supply_pages_draw_their_charts(page, live_server, artifacts, lang):
    sign_in(page, live_server, "category_ops")
    page.context.add_cookies([{"name": "shopscope_lang", "value": lang, "url": live_server.url}])
    for path, charts in PAGES.items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        if charts:
            page.wait_for_function(
                "(n) => document.querySelectorAll('[data-rendered=true] .main-svg').length >= n",
                arg=charts,
            )
        name = f"supply_{lang}{path.split('?')[0].replace('/', '_')}.png"
        page.screenshot(path=str(artifacts / name), full_page=True)
    assert page.console_errors == []
    assert page.external_requests == []
