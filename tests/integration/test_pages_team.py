"""Team pages through the real app: task workflow forms, team map, assessment, en and zh."""

from __future__ import annotations

from datetime import date

import pytest
from server_helpers import AppEnv, csrf_of, get_in_language

from shopscope.appdb import open_appdb
from shopscope.server.i18n import catalog
from shopscope.team.brief.model import Brief, BriefItem
from shopscope.team.positioning import questionnaire
from shopscope.team.tasks import sync_brief

ROLE = "content_editor"
PAGES = {
    "operations_director": ["/strategic/team", "/execution/inbox", "/account/assessment"],
    ROLE: ["/execution/inbox?status=all", "/account/assessment"],
}


@pytest.fixture(scope="module")
def task_id(app_env: AppEnv) -> int:
    item = BriefItem(
        rule="fix_listing", key="listing:page-test", tier="execution", role=ROLE,
        priority="medium", due=date(2026, 7, 2), title_en="Fix listing SKU-PT",
        title_zh="修复商品 SKU-PT", evidence={"issues": 2}, link="/execution", fingerprint="p1",
    )  # fmt: skip
    db = open_appdb(app_env.appdb)
    try:
        (tid,) = sync_brief(db, Brief(date(2026, 6, 30), (item,), ())).created
    finally:
        db.close()
    return tid


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("role", sorted(PAGES))
def test_pages_render_in_each_language(client_for, task_id, role, lang):
    c = client_for(role)
    for url in PAGES[role]:
        get_in_language(c, url, lang)
    if role == ROLE:
        html = client_for(role).get("/execution/inbox").text
        assert "Fix listing SKU-PT" in html or "修复商品 SKU-PT" in html


def test_team_map_is_for_the_strategic_tier(client_for):
    r = client_for(ROLE).get("/strategic/team")
    assert r.status_code == 403
    assert client_for("user_ops").get("/strategic/team").status_code == 403
    assert client_for("operations_director").get("/execution/inbox?status=bogus").status_code == 400


def test_inbox_forms_move_dismiss_and_comment(client_for, task_id):
    c = client_for(ROLE)
    page = c.get("/execution/inbox")
    token = csrf_of(page.text)
    url = f"/execution/inbox/{task_id}"
    no_csrf = c.post(f"{url}/status", data={"status": "in_progress"}, follow_redirects=False)
    assert no_csrf.status_code == 403
    moved = c.post(
        f"{url}/status", data={"status": "in_progress", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert moved.status_code == 303
    said = c.post(
        f"{url}/comment", data={"body": "needs photos", "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert said.status_code == 303
    html = c.get("/execution/inbox").text
    assert "needs photos" in html
    refused = c.post(f"{url}/status", data={"status": "dismissed", "csrf_token": token})
    assert refused.status_code == 400  # a dismissal needs a reason
    c.post(f"{url}/status", data={"status": "dismissed", "reason": "seasonal", "csrf_token": token})
    assert "Fix listing SKU-PT" not in c.get("/execution/inbox").text
    assert "seasonal" in c.get("/execution/inbox?status=dismissed").text
    other = client_for("cs_agent")
    token2 = csrf_of(other.get("/execution/inbox").text)
    stranger = other.post(f"{url}/comment", data={"body": "hi", "csrf_token": token2})
    assert stranger.status_code == 404


def test_assessment_form_stores_and_shows_the_result(client_for):
    c = client_for("promotion_specialist")
    page = c.get("/account/assessment")
    assert page.status_code == 200 and 'id="result"' not in page.text
    form = questionnaire()
    token = csrf_of(page.text)
    partial = {"csrf_token": token, f"q_{form.questions[0].id}": "2"}
    bad = c.post("/account/assessment", data=partial)
    assert bad.status_code == 400 and "missing answers" in bad.text
    full = {"csrf_token": token} | {f"q_{q.id}": "3" for q in form.questions}
    done = c.post("/account/assessment", data=full, follow_redirects=False)
    assert done.status_code == 303
    shown = c.get("/account/assessment").text
    assert 'id="result"' in shown and 'data-chart="chart-position"' in shown
    history = catalog("en")("team.assessment.history")
    assert history not in shown
    c.post("/account/assessment", data=full)
    assert history in c.get("/account/assessment").text  # the history table after two
