"""Team endpoints through the real app: brief, task workflow, team map, assessment."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from server_helpers import AppEnv, assert_error

from shopscope.appdb import open_appdb
from shopscope.team.brief.model import Brief, BriefItem
from shopscope.team.positioning import assess, questionnaire
from shopscope.team.tasks import sync_brief

DIRECTOR, TACTICAL, AGENT = "operations_director", "category_ops", "cs_agent"


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def _token_client(app_env: AppEnv, client_for, scopes: list[str]) -> tuple[TestClient, dict]:
    c = client_for(DIRECTOR)
    made = c.post("/api/v1/tokens", json={"name": "t", "scopes": scopes}, headers=csrf(c))
    assert made.status_code == 201, made.text
    bot = TestClient(app_env.app, raise_server_exceptions=False)
    return bot, {"Authorization": f"Bearer {made.json()['token']}"}


@pytest.fixture(scope="module")
def task_id(app_env: AppEnv) -> int:
    """One brief task for the cs_agent role."""
    item = BriefItem(
        rule="answer_ticket", key="ticket:api-test", tier="execution", role=AGENT,
        priority="high", due=date(2026, 7, 1), title_en="Answer ticket T1",
        title_zh="回复工单 T1", evidence={"age_hours": 30.0}, link="/execution",
        fingerprint="f1",
    )  # fmt: skip
    db = open_appdb(app_env.appdb)
    try:
        (tid,) = sync_brief(db, Brief(date(2026, 6, 30), (item,), ())).created
    finally:
        db.close()
    return tid


def test_brief_is_the_callers_tier(client_for, app_env):
    director = client_for(DIRECTOR)
    body = director.get("/api/v1/brief").json()
    assert body["total"] == len(body["items"]) or body["next_offset"] is not None
    assert body["items"] and {i["tier"] for i in body["items"]} == {"strategic"}
    agent = client_for(AGENT).get("/api/v1/brief", params={"scope": "role"}).json()
    assert all(i["role"] == AGENT and i["tier"] == "execution" for i in agent["items"])
    bot, bearer = _token_client(app_env, client_for, ["live.read"])
    assert_error(bot.get("/api/v1/brief", headers=bearer), 403, "forbidden")
    assert_error(director.get("/api/v1/brief", params={"scope": "team"}), 422)


def test_task_detail_status_assign_comment(client_for, task_id):
    agent, director, other = client_for(AGENT), client_for(DIRECTOR), client_for(TACTICAL)
    detail = agent.get(f"/api/v1/tasks/{task_id}")
    assert detail.status_code == 200 and detail.json()["key"] == "ticket:api-test"
    assert_error(other.get(f"/api/v1/tasks/{task_id}"), 404, "not_found")  # not in their inbox
    url = f"/api/v1/tasks/{task_id}"
    moved = agent.post(f"{url}/status", json={"status": "in_progress"}, headers=csrf(agent))
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    err = assert_error(
        agent.post(f"{url}/status", json={"status": "dismissed"}, headers=csrf(agent)), 400
    )
    assert "reason" in err["message"]
    assert_error(agent.post(f"{url}/status", json={"status": "closed"}, headers=csrf(agent)), 422)
    assert_error(agent.post(f"{url}/status", json={"status": "done"}), 403)  # no CSRF header
    said = agent.post(f"{url}/comments", json={"body": "calling now"}, headers=csrf(agent))
    assert said.status_code == 201 and said.json()["comments"][-1]["body"] == "calling now"
    assert_error(agent.post(f"{url}/comments", json={"body": ""}, headers=csrf(agent)), 422)
    both = {"user": "x", "role": AGENT}
    assert_error(director.post(f"{url}/assign", json=both, headers=csrf(director)), 400)
    given = director.post(f"{url}/assign", json={"role": "content_editor"}, headers=csrf(director))
    assert given.status_code == 200 and given.json()["role"] == "content_editor"
    assert_error(
        director.post(f"{url}/assign", json={"role": "nobody"}, headers=csrf(director)), 404
    )
    back = director.post(f"{url}/assign", json={"role": AGENT}, headers=csrf(director))
    assert back.status_code == 200
    dismissed = agent.post(
        f"{url}/status", json={"status": "dismissed", "reason": "duplicate"}, headers=csrf(agent)
    )
    assert dismissed.json()["dismissed_reason"] == "duplicate"


def test_task_endpoints_need_their_permissions(app_env, client_for, task_id):
    bot, bearer = _token_client(app_env, client_for, ["live.read"])
    assert_error(bot.get(f"/api/v1/tasks/{task_id}", headers=bearer), 403, "forbidden")
    assert_error(
        bot.post(f"/api/v1/tasks/{task_id}/comments", json={"body": "x"}, headers=bearer), 403
    )
    reader, rbearer = _token_client(app_env, client_for, ["tasks.read", "team.read"])
    assert reader.get(f"/api/v1/tasks/{task_id}", headers=rbearer).status_code == 200
    assert_error(
        reader.post(f"/api/v1/tasks/{task_id}/status", json={"status": "open"}, headers=rbearer),
        403,
        "forbidden",
    )
    assert_error(client_for(AGENT).get("/api/v1/tasks/999999"), 404)


def test_assessment_is_stored_with_history_and_appears_on_the_team_map(client_for):
    ids = [q.id for q in questionnaire().questions]
    answers = dict.fromkeys(ids, 3)
    agent = client_for(AGENT)
    before = agent.get("/api/v1/team/assessment").json()["total"]
    made = agent.post("/api/v1/team/assessment", json={"answers": answers}, headers=csrf(agent))
    assert made.status_code == 201
    expected = assess(answers)
    assert made.json()["tier"] == expected.tier
    assert made.json()["readiness"] == pytest.approx(expected.readiness)
    assert agent.get("/api/v1/team/assessment").json()["total"] == before + 1
    partial = {"answers": {ids[0]: 1}}
    err = assert_error(
        agent.post("/api/v1/team/assessment", json=partial, headers=csrf(agent)), 400
    )
    assert "missing answers" in err["message"]
    bad = {"answers": {ids[0]: "lots"}}
    assert_error(agent.post("/api/v1/team/assessment", json=bad, headers=csrf(agent)), 422)
    # the team map (director only)
    director = client_for(DIRECTOR)
    body = director.get("/api/v1/team/map").json()
    me = agent.get("/api/v1/me").json()["username"]
    member = next(m for m in body["members"] if m["name"] == me)
    assert member["role"] == AGENT and member["position"]["tier"] == expected.tier
    assert set(body["map"]) >= {"coverage", "gaps", "single_points", "technology_mix"}
    assert_error(agent.get("/api/v1/team/map"), 403, "forbidden")


def test_assessment_needs_a_signed_in_user(anon):
    assert_error(anon.post("/api/v1/team/assessment", json={"answers": {}}), 401)
