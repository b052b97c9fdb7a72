"""The assessment form in a real browser: answer, submit, the radar renders; the team map shows
it; the task inbox renders; no console errors, no external requests."""

from __future__ import annotations

from test_workspaces import sign_in


def test_assessment_radar_and_team_map(page, live_server, artifacts):
    sign_in(page, live_server, "operations_director")
    page.goto(f"{live_server.url}/account/assessment")
    for fieldset in page.locator("fieldset").all():
        fieldset.locator("input[type=radio]").nth(3).check()
    page.locator("form[action='/account/assessment'] button[type=submit]").click()
    page.wait_for_url(lambda url: url.endswith("#result"))
    page.wait_for_function("() => document.querySelector('[data-rendered=true] .main-svg')")
    page.screenshot(path=str(artifacts / "team_assessment.png"), full_page=True)
    response = page.goto(f"{live_server.url}/strategic/team")
    assert response.status == 200
    page.wait_for_function("() => document.querySelector('[data-rendered=true] .main-svg')")
    page.screenshot(path=str(artifacts / "team_map.png"), full_page=True)
    assert page.goto(f"{live_server.url}/execution/inbox").status == 200
    assert page.console_errors == []
    assert page.external_requests == []
