"""The targets page in Chromium: the pace chart renders, nothing errors, the form is there."""

from __future__ import annotations

from test_workspaces import sign_in


def test_targets_page_renders_its_pace_chart(page, live_server, artifacts):
    sign_in(page, live_server, "operations_director")
    response = page.goto(f"{live_server.url}/strategic/targets?month=2026-06")
    assert response.status == 200
    page.wait_for_function(
        "() => document.querySelectorAll('#chart-targets-pace.plot .main-svg').length >= 1"
        " && document.querySelector('#chart-targets-pace').dataset.rendered === 'true'"
    )
    assert page.locator("#chart-targets-pace .bars .point").count() == 5
    assert page.locator("form[action='/strategic/targets'] select[name=metric]").count() == 1
    page.screenshot(path=str(artifacts / "operations_director_targets.png"), full_page=True)
    assert page.console_errors == []
    assert page.external_requests == []
