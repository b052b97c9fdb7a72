"""The targets page through the real app: en and zh, pace chart, the form (CSRF, audited)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from server_helpers import csrf_of, login

from shopscope.appdb import open_appdb, records
from shopscope.server.i18n import catalog

DIRECTOR, TACTICAL = "operations_director", "category_ops"
URL = "/strategic/targets"


@pytest.fixture(scope="module")
def writable(demo_url, tmp_path_factory) -> tuple[str, Callable[[str], TestClient]]:
    """An app on a private copy of the demo store (the form writes targets)."""
    from shopscope.cli.server import create_demo_accounts
    from shopscope.server import ServerSettings, create_app

    root = tmp_path_factory.mktemp("targets_pages")
    path = root / "demo.duckdb"
    shutil.copy(demo_url.removeprefix("duckdb:///"), path)
    url, appdb = f"duckdb:///{path}", f"sqlite:///{root / 'app.sqlite3'}"
    accounts = {a.role: (a.username, a.password) for a in create_demo_accounts(appdb, url, seed=5)}
    app = create_app(ServerSettings(warehouse=url, appdb=appdb, login_max_failures=1000))

    def client(role: str) -> TestClient:
        c = TestClient(app, raise_server_exceptions=False)
        assert login(c, *accounts[role]).status_code == 303
        return c

    return appdb, client


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_in_each_language(client_for, lang):
    c = client_for(DIRECTOR)
    c.cookies.set("shopscope_lang", lang)
    try:
        r = c.get(URL, params={"month": "2026-06"})
    finally:
        c.cookies.delete("shopscope_lang")
    assert r.status_code == 200, r.text[:500]
    t = catalog(lang)
    html = r.text
    assert t("targets.title") in html and t("targets.set") in html
    assert t("targets.status.over_budget") in html and t("targets.status.on_track") in html
    assert 'data-chart="chart-targets-pace"' in html and "⟦" not in html
    assert html.count("<tr>") >= 6  # header + five targets
    if lang == "zh":
        assert "Pace this month" not in html and "目标" in html


def test_lower_tier_gets_403_and_the_month_can_be_exported(client_for):
    assert client_for(TACTICAL).get(URL).status_code == 403
    csv = client_for(DIRECTOR).get(URL, params={"month": "2026-06", "export": "progress"})
    assert csv.status_code == 200 and csv.text.startswith("metric,channel,month")


def test_form_sets_a_target_with_csrf_and_audit(writable):
    appdb, client = writable
    c = client(DIRECTOR)
    page = c.get(URL)
    token = csrf_of(page.text)
    form = {"metric": "orders", "month": "2026-06", "value": "2000", "csrf_token": token}
    r = c.post(URL, data=form, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"{URL}?month=2026-06&saved=1"
    shown = c.get(r.headers["location"])
    assert catalog("en")("targets.saved") in shown.text
    assert re.search(r"Orders</th>\s*<td>2,000</td>", shown.text)
    bad = c.post(URL, data={**form, "value": "-3"}, follow_redirects=False)
    assert bad.status_code == 400 and "is not allowed: use a number &gt;= 0" in bad.text
    bad_month = c.post(URL, data={**form, "month": "2026-6"}, follow_redirects=False)
    assert bad_month.status_code == 400 and "Malformed month" in bad_month.text
    no_token = c.post(URL, data={**form, "csrf_token": "x"}, follow_redirects=False)
    assert no_token.status_code == 403
    db = open_appdb(appdb)
    try:
        with db.session() as s:
            entries = records.list_audit(s, action="targets.set")
            assert [e.target for e in entries] == ["orders:*:2026-06"]
    finally:
        db.close()
    tactical = client(TACTICAL)
    assert tactical.post(URL, data=form, follow_redirects=False).status_code == 403
