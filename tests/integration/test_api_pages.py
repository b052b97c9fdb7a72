"""Web pages through the real app: each workspace per tier, in English and Chinese, filters."""

from __future__ import annotations

import re

import pytest
from server_helpers import csrf_of, english_only_messages

PAGES = {
    "operations_director": [
        "/strategic",
        "/tactical",
        "/tactical/retention",
        "/execution",
        "/admin",
    ],
    "user_ops": ["/tactical", "/tactical/retention", "/execution"],
    "cs_agent": ["/execution", "/account"],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("role", sorted(PAGES))
def test_workspaces_render_completely_in_each_language(client_for, role, lang):
    c = client_for(role)
    c.cookies.set("shopscope_lang", lang)
    english = english_only_messages()
    try:
        for url in PAGES[role]:
            r = c.get(url)
            assert r.status_code == 200, (url, r.text[:300])
            assert "⟦" not in r.text, re.findall("⟦[^⟧]*⟧", r.text)
            assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in r.text
            if lang == "zh":
                leaked = sorted(m for m in english if f">{m}<" in r.text)
                assert leaked == [], (url, leaked)
    finally:
        c.cookies.delete("shopscope_lang")


def test_home_sends_each_tier_to_its_workspace(client_for):
    landing = {
        "operations_director": "/strategic",
        "traffic_ops": "/tactical",
        "user_ops": "/tactical/retention",
        "cs_agent": "/execution",
    }
    for role, target in landing.items():
        r = client_for(role).get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == target


def test_filters_live_in_the_url(client_for):
    c = client_for("operations_director")
    r = c.get("/tactical?from=2026-06-01&to=2026-06-14&compare=yoy&dimension=device")
    assert r.status_code == 200
    assert 'value="2026-06-01"' in r.text and '<option value="device" selected>' in r.text
    assert (
        "?from=2026-06-01&amp;to=2026-06-14&amp;compare=yoy&amp;dimension=device&amp;export=breakdown"
        in r.text
    )
    assert c.get("/tactical?dimension=colour").status_code == 422
    assert c.get("/strategic?from=2030-01-01&to=2030-01-02").status_code == 400


def test_language_switch_is_remembered(app_env, client_for):
    from fastapi.testclient import TestClient
    from server_helpers import login

    c = TestClient(app_env.app, raise_server_exceptions=False)
    login(c, *app_env.accounts["category_ops"])
    page = c.get("/execution")
    r = c.post(
        "/lang",
        data={"lang": "zh", "csrf_token": csrf_of(page.text), "next": "/execution"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/execution"
    assert "任务收件箱" in c.get("/execution").text
    c.cookies.delete("shopscope_lang")
    assert "任务收件箱" in c.get("/execution").text  # stored on the user too
    assert c.get("/api/v1/me").json()["language"] == "zh"
    bad = c.post("/lang", data={"lang": "fr", "csrf_token": csrf_of(page.text)})
    assert bad.status_code == 400


def test_task_inbox_form_completes_a_task(app_env, client_for):
    from shopscope.appdb import open_appdb, records

    db = open_appdb(app_env.appdb)
    with db.session() as s:
        task_id = records.add_task(s, "Restock check for SKU-1", role_key="promotion_specialist").id
    db.close()
    c = client_for("promotion_specialist")
    page = c.get("/execution")
    assert "Restock check for SKU-1" in page.text
    r = c.post(
        f"/execution/tasks/{task_id}/complete",
        data={"csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Restock check for SKU-1" not in c.get("/execution").text


def test_save_view_form_keeps_the_filters(client_for):
    c = client_for("data_ops_analyst")
    url = "/tactical?from=2026-06-01&to=2026-06-30&dimension=device"
    page = c.get(url)
    r = c.post(
        "/views",
        data={"name": "Devices June", "path": url, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == url
    assert (
        'href="/tactical?from=2026-06-01&amp;to=2026-06-30&amp;dimension=device"'
        in c.get("/execution").text
    )
    bad = c.post(
        "/views",
        data={"name": "x", "path": "https://evil.example/", "csrf_token": csrf_of(page.text)},
    )
    assert bad.status_code == 400


def test_admin_page_adds_users_and_changes_roles(client_for):
    director = client_for("operations_director")
    page = director.get("/admin")
    assert page.status_code == 200 and "demo-cs-agent" in page.text
    token = csrf_of(page.text)
    made = director.post(
        "/admin/users",
        data={"username": "hana", "password": "a long enough password", "role": "cs_agent",
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303
    moved = director.post(
        "/admin/users/hana/role",
        data={"role": "growth_hacker", "csrf_token": token},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    users = {
        u["username"]: u["role"] for u in director.get("/api/v1/users?limit=1000").json()["items"]
    }
    assert users["hana"] == "growth_hacker"
    assert "user.set_role" in director.get("/admin").text
    assert director.post("/admin/users/hana/role", data={"role": "cs_agent"}).status_code == 403
    assert client_for("user_ops").get("/admin").status_code == 403


PAGE_TABLES = {
    "/strategic": ["kpis", "drivers", "team"],
    "/tactical?dimension=device": ["breakdown", "movers"],
    "/tactical/retention": ["segments", "clv_parameters", "clv_customers"],
    "/execution": ["data"],
    "/admin": ["users", "audit"],
}


@pytest.mark.parametrize("url", sorted(PAGE_TABLES))
def test_every_page_table_exports_as_csv(client_for, url):
    import csv
    import io

    c = client_for("operations_director")
    html = c.get(url).text
    for name in PAGE_TABLES[url]:
        assert f"export={name}" in html, name
        sep = "&" if "?" in url else "?"
        r = c.get(f"{url}{sep}export={name}")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), name
        rows = list(csv.DictReader(io.StringIO(r.text)))
        assert rows, name
    assert c.get(f"{url}{'&' if '?' in url else '?'}export=nope").status_code == 404


def test_page_export_follows_the_filters_and_permissions(client_for):
    c = client_for("operations_director")
    device = c.get("/tactical?dimension=device&export=breakdown").text.splitlines()
    channel = c.get("/tactical?dimension=channel&export=breakdown").text.splitlines()
    assert device[0] == channel[0] == "member,net_revenue,orders,aov"
    assert {r.split(",")[0] for r in device[1:]} != {r.split(",")[0] for r in channel[1:]}
    agent = client_for("cs_agent")
    assert agent.get("/execution?export=data").status_code == 403  # no export.csv
    assert "export=data" not in agent.get("/execution").text  # and no link to it


def test_account_page_issues_shows_once_and_revokes_tokens(client_for, app_env):
    from fastapi.testclient import TestClient

    c = client_for("content_editor")
    page = c.get("/account")
    assert page.status_code == 200 and 'value="live.read"' in page.text
    assert 'value="insight.read"' not in page.text  # only the user's own permissions
    made = c.post(
        "/account/tokens",
        data={"name": "kiosk", "scope": ["live.read"], "csrf_token": csrf_of(page.text)},
    )
    assert made.status_code == 200 and made.headers["cache-control"] == "no-store"
    secret = re.search(r'<code id="new-token">([^<]+)</code>', made.text).group(1)
    bot = TestClient(app_env.app, raise_server_exceptions=False)
    assert bot.get("/api/v1/live", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    again = c.get("/account").text
    assert secret not in again and "kiosk" in again
    token_id = re.search(r"/account/tokens/(\d+)/revoke", again).group(1)
    r = c.post(
        f"/account/tokens/{token_id}/revoke",
        data={"csrf_token": csrf_of(again)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert bot.get("/api/v1/live", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    wide = c.post(
        "/account/tokens",
        data={"name": "x", "scope": ["users.manage"], "csrf_token": csrf_of(again)},
    )
    assert wide.status_code == 400
