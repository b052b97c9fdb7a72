"""Every API endpoint through the real app: success, per-tier denial, the error shape, paging."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from server_helpers import AppEnv, assert_error, login

from shopscope.appdb import accounts, open_appdb, records
from shopscope.appdb.models import UserSession, utcnow

STRATEGIC, TACTICAL, TACTICAL_ACQ, EXECUTION = (
    "operations_director",
    "user_ops",
    "traffic_ops",
    "cs_agent",
)

# (method, path, a role allowed, a lower role refused or None when every signed-in user may)
READS = [
    ("GET", "/api/v1/me", EXECUTION, None),
    ("GET", "/api/v1/roles", EXECUTION, None),
    ("GET", "/api/v1/status", EXECUTION, None),
    ("GET", "/api/v1/live", EXECUTION, None),
    ("GET", "/api/v1/tasks", EXECUTION, None),
    ("GET", "/api/v1/views", EXECUTION, None),
    ("GET", "/api/v1/tokens", EXECUTION, None),
    ("GET", "/api/v1/kpis", TACTICAL, EXECUTION),
    ("GET", "/api/v1/report", TACTICAL, EXECUTION),
    ("GET", "/api/v1/drivers", TACTICAL, EXECUTION),
    ("GET", "/api/v1/breakdowns/{dimension}", TACTICAL, EXECUTION),
    ("GET", "/api/v1/cohorts", TACTICAL, EXECUTION),
    ("GET", "/api/v1/anomalies", TACTICAL, EXECUTION),
    ("GET", "/api/v1/rfm/segments", TACTICAL, TACTICAL_ACQ),
    ("GET", "/api/v1/rfm/customers", TACTICAL, TACTICAL_ACQ),
    ("GET", "/api/v1/clv", TACTICAL, TACTICAL_ACQ),
    ("GET", "/api/v1/clv/customers", TACTICAL, TACTICAL_ACQ),
    ("GET", "/api/v1/churn", TACTICAL, TACTICAL_ACQ),
    ("GET", "/api/v1/audiences", TACTICAL, TACTICAL_ACQ),
    ("GET", "/api/v1/users", STRATEGIC, TACTICAL),
    ("GET", "/api/v1/audit", STRATEGIC, TACTICAL),
]
WRITES = [
    ("POST", "/api/v1/tasks/{task_id}/complete"),
    ("POST", "/api/v1/views"),
    ("DELETE", "/api/v1/views/{view_id}"),
    ("POST", "/api/v1/tokens"),
    ("DELETE", "/api/v1/tokens/{token_id}"),
    ("POST", "/api/v1/users"),
    ("PUT", "/api/v1/users/{username}/role"),
    # needs a saved audience: covered by test_api_churn_audiences.py
    ("GET", "/api/v1/audiences/{name}/members"),
]
CORE_TAGS = {"core", "admin", "insight", "retention"}


def _url(path: str) -> str:
    return path.replace("{dimension}", "channel")


def csrf(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/v1/me").json()["csrf_token"]}


def test_every_core_endpoint_is_covered_here(app_env: AppEnv):
    schema = TestClient(app_env.app).get("/api/v1/openapi.json").json()
    found = {
        (method.upper(), path)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        if set(op.get("tags", [])) & CORE_TAGS
    }
    covered = {(m, p) for m, p, _a, _d in READS} | set(WRITES)
    assert found == covered


def test_openapi_documents_the_error_shape(app_env: AppEnv):
    schema = TestClient(app_env.app).get("/api/v1/openapi.json").json()
    assert "ErrorResponse" in schema["components"]["schemas"]
    op = schema["paths"]["/api/v1/kpis"]["get"]
    assert {"401", "403", "422"} <= set(op["responses"])


@pytest.mark.parametrize(("method", "path", "allowed", "refused"), READS)
def test_read_endpoints(client_for, anon, method, path, allowed, refused):
    url = _url(path)
    ok = client_for(allowed).request(method, url)
    assert ok.status_code == 200, ok.text
    assert ok.headers["content-type"].startswith("application/json")
    assert_error(anon.request(method, url), 401, "unauthenticated")
    if refused is not None:
        err = assert_error(client_for(refused).request(method, url), 403, "forbidden")
        assert err["details"][0]["role"] == refused


def test_kpis_match_the_library(client_for, demo_wh):
    from shopscope.insight import compare_kpis, resolve_range

    body = client_for(TACTICAL).get("/api/v1/kpis?from=2026-06-01&to=2026-06-30").json()
    expected = compare_kpis(demo_wh, resolve_range(demo_wh, *_days("2026-06-01", "2026-06-30")))
    assert body["period"] == "2026-06-01..2026-06-30"
    got = {k["key"]: k["current"] for k in body["kpis"]}
    assert got == pytest.approx({k.key: k.current for k in expected}, nan_ok=True)


def _days(a: str, b: str):
    from datetime import date

    return date.fromisoformat(a), date.fromisoformat(b)


def test_pagination_and_csv_export(client_for, app_env):
    c = client_for(TACTICAL)
    everything = c.get("/api/v1/rfm/customers?limit=1000").json()
    first = c.get("/api/v1/rfm/customers?limit=7&offset=0").json()
    second = c.get("/api/v1/rfm/customers?limit=7&offset=7").json()
    assert first["total"] == everything["total"] > 14
    assert first["items"] + second["items"] == everything["items"][:14]
    assert first["next_offset"] == 7 and first["limit"] == 7
    last = c.get(f"/api/v1/rfm/customers?limit=5&offset={everything['total'] - 2}").json()
    assert len(last["items"]) == 2 and last["next_offset"] is None
    exported = c.get("/api/v1/rfm/segments?format=csv")
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    page = c.get("/api/v1/rfm/segments").json()["items"]
    assert [r["segment"] for r in rows] == [s["segment"] for s in page]
    assert [int(r["customers"]) for r in rows] == [s["customers"] for s in page]
    db = open_appdb(app_env.appdb)
    with db.session() as s:
        assert any(
            a.target == "/api/v1/rfm/segments" for a in records.list_audit(s, action="export.csv")
        )
    db.close()


def test_csv_export_needs_the_export_permission(client_for):
    # execution roles may read their tasks but not export them
    assert_error(client_for(EXECUTION).get("/api/v1/tasks?format=csv"), 403, "forbidden")


def test_write_endpoints(client_for, app_env):
    director, agent = client_for(STRATEGIC), client_for(EXECUTION)
    # views
    made = agent.post(
        "/api/v1/views", json={"name": "Live", "path": "/execution"}, headers=csrf(agent)
    )
    assert made.status_code == 201
    assert any(v["name"] == "Live" for v in agent.get("/api/v1/views").json()["items"])
    gone = agent.delete(f"/api/v1/views/{made.json()['id']}", headers=csrf(agent))
    assert gone.status_code == 204
    assert_error(agent.delete(f"/api/v1/views/{made.json()['id']}", headers=csrf(agent)), 404)
    # tasks
    db = open_appdb(app_env.appdb)
    with db.session() as s:
        task_id = records.add_task(s, "Call back customer", role_key=EXECUTION).id
    db.close()
    assert task_id in [t["id"] for t in agent.get("/api/v1/tasks").json()["items"]]
    done = agent.post(f"/api/v1/tasks/{task_id}/complete", headers=csrf(agent))
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert_error(director.post(f"/api/v1/tasks/{task_id}/complete", headers=csrf(director)), 404)
    # tokens
    issued = agent.post(
        "/api/v1/tokens", json={"name": "bot", "scopes": ["live.read"]}, headers=csrf(agent)
    )
    assert issued.status_code == 201 and issued.json()["token"].startswith("ss_")
    listed = agent.get("/api/v1/tokens").json()["items"]
    assert issued.json()["token"] not in str(listed)
    revoked = agent.delete(f"/api/v1/tokens/{issued.json()['id']}", headers=csrf(agent))
    assert revoked.status_code == 204
    # users and roles (strategic only)
    body = {"username": "newbie", "password": "a long enough password", "role": "cs_agent"}
    assert_error(agent.post("/api/v1/users", json=body, headers=csrf(agent)), 403, "forbidden")
    assert director.post("/api/v1/users", json=body, headers=csrf(director)).status_code == 201
    assert_error(
        director.post("/api/v1/users", json=body, headers=csrf(director)), 400, "invalid_input"
    )
    moved = director.put(
        "/api/v1/users/newbie/role", json={"role": "user_ops"}, headers=csrf(director)
    )
    assert moved.status_code == 200 and moved.json()["role"] == "user_ops"
    assert_error(
        director.put("/api/v1/users/ghost/role", json={"role": "user_ops"}, headers=csrf(director)),
        404,
        "not_found",
    )
    actions = [a["action"] for a in director.get("/api/v1/audit?limit=1000").json()["items"]]
    assert {"user.create", "user.set_role", "token.create", "token.revoke"} <= set(actions)


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/kpis?from=yesterday", 422),
        ("/api/v1/kpis?compare=lastyear", 422),
        ("/api/v1/breakdowns/colour", 422),
        ("/api/v1/cohorts?grain=year", 422),
        ("/api/v1/cohorts?max_periods=0", 422),
        ("/api/v1/rfm/segments?bins=4", 422),
        ("/api/v1/rfm/customers?limit=0", 422),
        ("/api/v1/rfm/customers?limit=100000", 422),
        ("/api/v1/rfm/customers?offset=-1", 422),
        ("/api/v1/rfm/customers?format=xml", 422),
        ("/api/v1/rfm/customers?segment=Unicorns", 404),
        ("/api/v1/kpis?from=2030-01-01&to=2030-02-01", 400),
        ("/api/v1/kpis?from=2026-06-30&to=2026-06-01", 400),
        ("/api/v1/no-such-endpoint", 404),
    ],
)
def test_unknown_filter_values_get_the_error_shape(client_for, url, status):
    err = assert_error(client_for(STRATEGIC).get(url), status)
    if status == 422:
        assert err["code"] == "validation_error" and err["details"][0]["loc"]


def test_malformed_json_and_wrong_types(client_for):
    director = client_for(STRATEGIC)
    headers = csrf(director) | {"Content-Type": "application/json"}
    assert_error(director.post("/api/v1/users", content=b"{not json", headers=headers), 422)
    assert_error(director.post("/api/v1/users", content=b"[1, 2]", headers=headers), 422)
    assert_error(director.post("/api/v1/views", json={"name": ""}, headers=headers), 422)
    assert_error(director.post("/api/v1/tasks/abc/complete", headers=headers), 422)


def test_expired_session_is_refused_with_its_own_code(app_env: AppEnv):
    client = TestClient(app_env.app, raise_server_exceptions=False)
    assert login(client, *app_env.accounts["growth_hacker"]).status_code == 303
    assert client.get("/api/v1/me").status_code == 200
    db = open_appdb(app_env.appdb)
    with db.session() as s:
        user = accounts.get_user(s, app_env.accounts["growth_hacker"][0])
        s.query(UserSession).filter(UserSession.user_id == user.id).update(
            {UserSession.expires_at: utcnow() - timedelta(seconds=1)}
        )
    db.close()
    assert_error(client.get("/api/v1/me"), 401, "session_expired")
    page = client.get("/tactical", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")


def test_api_token_authenticates_machine_clients(app_env: AppEnv, client_for):
    c = client_for(TACTICAL)
    secret = c.post(
        "/api/v1/tokens", json={"name": "rfm export", "scopes": ["retention.read"]}, headers=csrf(c)
    ).json()["token"]
    bot = TestClient(app_env.app, raise_server_exceptions=False)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert bot.get("/api/v1/rfm/segments", headers=bearer).status_code == 200
    me = bot.get("/api/v1/me", headers=bearer).json()
    assert (
        me["via"] == "token"
        and me["permissions"] == ["retention.read"]
        and me["csrf_token"] is None
    )
    assert_error(bot.get("/api/v1/kpis", headers=bearer), 403, "forbidden")  # outside its scope
    assert_error(bot.get("/api/v1/me", headers={"Authorization": "Bearer ss_x_y"}), 401)
    assert_error(bot.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401)


def test_missing_warehouse_is_503_on_api_and_pages(tmp_path):
    from shopscope.server import ServerSettings, create_app

    app = create_app(
        ServerSettings(warehouse=f"duckdb:///{tmp_path / 'missing.duckdb'}", appdb="sqlite://")
    )
    with app.state.shopscope.db.session() as s:
        accounts.create_user(s, "zed", "a long enough password", "operations_director")
    c = TestClient(app, raise_server_exceptions=False)
    login(c, "zed", "a long enough password")
    assert_error(c.get("/api/v1/status"), 503, "warehouse_unavailable")
    page = c.get("/strategic")
    assert page.status_code == 503 and 'data-code="warehouse_unavailable"' in page.text


def test_empty_warehouse_explains_itself(tmp_path):
    from shopscope.server import ServerSettings, create_app
    from shopscope.warehouse.connection import connect

    path = tmp_path / "empty.duckdb"
    connect(f"duckdb:///{path}").close()
    app = create_app(ServerSettings(warehouse=f"duckdb:///{path}", appdb="sqlite://"))
    with app.state.shopscope.db.session() as s:
        accounts.create_user(s, "zed", "a long enough password", "operations_director")
    c = TestClient(app, raise_server_exceptions=False)
    login(c, "zed", "a long enough password")
    err = assert_error(c.get("/api/v1/kpis"), 404, "not_found")
    assert "shopscope demo" in err["message"]
    page = c.get("/strategic")
    assert page.status_code == 404 and "shopscope demo" in page.text
    assert c.get("/execution").status_code == 200  # the inbox works without data
