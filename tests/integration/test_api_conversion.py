"""Conversion endpoints through the real app on the demo store: funnel, experiments, power,
abandoned carts; permissions, the error shape, pagination and CSV export."""

from __future__ import annotations

import csv
import io
import math

import duckdb
import pytest
from fastapi.testclient import TestClient
from server_helpers import AppEnv, assert_error

from shopscope.conversion.experiments.power import power_of

READER, NO_CONVERSION, EXECUTION = "activity_ops", "traffic_ops", "cs_agent"
EXPERIMENT = "checkout_button_2026"

ENDPOINTS = [
    ("/api/v1/funnel", READER, NO_CONVERSION),
    ("/api/v1/experiments", READER, NO_CONVERSION),
    (f"/api/v1/experiments/{EXPERIMENT}", READER, EXECUTION),
    ("/api/v1/experiments/power?baseline=0.1&mde=0.1", READER, NO_CONVERSION),
    ("/api/v1/abandoned-carts", EXECUTION, None),
]
BAD = [
    "/api/v1/funnel?steps=product_view,teleport",
    "/api/v1/funnel?steps=purchase",
    "/api/v1/funnel?window=forever",
    "/api/v1/funnel?window=0d",
    "/api/v1/funnel?mode=sideways",
    "/api/v1/funnel?unit=household",
    "/api/v1/funnel?breakdown=colour",
    "/api/v1/funnel?breakdown=variant",
    "/api/v1/funnel?from=2026-06-10&to=2026-06-01",
    f"/api/v1/experiments/{EXPERIMENT}?alpha=2",
    f"/api/v1/experiments/{EXPERIMENT}?correction=bonferroni",
    f"/api/v1/experiments/{EXPERIMENT}?metrics=happiness",
    "/api/v1/experiments/power",
    "/api/v1/experiments/power?baseline=0.1",
    "/api/v1/experiments/power?baseline=0.1&mde=0.1&power=1.5",
    "/api/v1/experiments/power?baseline=1.5&mde=0.1",
    "/api/v1/abandoned-carts?limit=0",
    "/api/v1/abandoned-carts?idle_hours=-1",
    "/api/v1/abandoned-carts?as_of=yesterday",
]


@pytest.fixture(scope="module")
def events(app_env: AppEnv):
    """The demo store's events, read independently with DuckDB SQL."""
    path = app_env.warehouse.removeprefix("duckdb:///")
    con = duckdb.connect(path if path.startswith("/") else "/" + path, read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize(("url", "allowed", "refused"), ENDPOINTS, ids=lambda v: str(v)[:40])
def test_allowed_role_succeeds_and_others_get_403(client_for, url, allowed, refused):
    assert client_for(allowed).get(url).status_code == 200
    assert client_for("operations_director").get(url).status_code == 200
    if refused is not None:
        body = assert_error(client_for(refused).get(url), 403, "forbidden")
        assert "conversion.read" in body["message"] + str(body["details"])


def test_abandoned_carts_refused_to_a_token_without_carts_read(app_env: AppEnv, client_for):
    c = client_for(READER)
    home = c.get("/api/v1/me").json()
    secret = c.post(
        "/api/v1/tokens",
        json={"name": "funnel bot", "scopes": ["conversion.read"]},
        headers={"X-CSRF-Token": home["csrf_token"]},
    ).json()["token"]
    bot = TestClient(app_env.app, raise_server_exceptions=False)
    bearer = {"Authorization": f"Bearer {secret}"}
    assert bot.get("/api/v1/funnel", headers=bearer).status_code == 200
    assert_error(bot.get("/api/v1/abandoned-carts", headers=bearer), 403, "forbidden")


@pytest.mark.parametrize("url", BAD)
def test_bad_parameters_get_the_error_shape(client_for, url):
    r = client_for("operations_director").get(url)
    assert r.status_code in (400, 422), (url, r.status_code, r.text[:200])
    assert_error(r, r.status_code)


def test_unknown_experiment_is_404_listing_known_ids(client_for):
    body = assert_error(client_for(READER).get("/api/v1/experiments/nope"), 404, "not_found")
    assert EXPERIMENT in body["message"] and body["details"] == [{"known": [EXPERIMENT]}]


def test_funnel_counts_match_sql(client_for, events):
    steps = ["product_view", "add_to_cart"]
    r = client_for(READER).get(
        "/api/v1/funnel", params={"steps": ",".join(steps), "window": "10000d", "unit": "session"}
    )
    body = r.json()
    assert [s["event_type"] for s in body["steps"]] == steps
    assert body["per"] == "session" and body["order"] == "loose"
    # with an unlimited window, a session reaches step 2 when it adds to cart after a view
    first, second = events.execute(
        """
        with v as (select session_id, min(occurred_at) t from events
                   where event_type = 'product_view' and session_id is not null group by 1)
        select count(*), count(*) filter (where exists (
            select 1 from events e where e.session_id = v.session_id
            and e.event_type = 'add_to_cart' and e.occurred_at >= v.t)) from v
        """
    ).fetchone()
    assert [s["units"] for s in body["steps"]] == [first, second]
    s2 = body["steps"][1]
    assert s2["drop_off"] == first - second and math.isclose(s2["step_conversion"], second / first)


def test_funnel_breakdown_by_device_adds_up(client_for):
    body = client_for(READER).get("/api/v1/funnel?breakdown=device&window=2h").json()
    assert body["breakdown"] == "device" and len(body["groups"]) >= 2
    total = sum(g["steps"][0]["units"] for g in body["groups"])
    assert total == body["steps"][0]["units"]


def test_experiments_list_has_the_planted_experiment(client_for, events):
    body = client_for(READER).get("/api/v1/experiments").json()
    truth = events.execute(
        "select text from demo_truth where domain = 'experiment' and name = 'experiment_id'"
    ).fetchone()[0]
    (row,) = [i for i in body["items"] if i["experiment_id"] == truth]
    exposed = events.execute(
        "select count(distinct anonymous_id) from events "
        "where event_type = 'experiment_exposure' and experiment_id = ?",
        [truth],
    ).fetchone()[0]
    assert row["exposed_units"] == exposed and body["total"] == len(body["items"])
    assert row["verdict"] in {"ship", "do_not_ship", "inconclusive", "untrustworthy", "harmful"}
    assert row["summary"] and row["decision_metric"] == "conversion"


def test_experiment_analysis_matches_sql_conversion(client_for, events):
    body = client_for(READER).get(f"/api/v1/experiments/{EXPERIMENT}").json()
    assert {"results", "srm", "decision", "exposure", "notes", "correction"} <= set(body)
    rates = dict(
        events.execute(
            """
            with ex as (select anonymous_id, min(occurred_at) t0, any_value(variant) v
                        from events where event_type = 'experiment_exposure'
                        and experiment_id = ? group by 1)
            select v, avg(case when exists (select 1 from events e
                where e.anonymous_id = ex.anonymous_id and e.event_type = 'purchase'
                and e.occurred_at >= ex.t0) then 1 else 0 end) from ex group by v
            """,
            [EXPERIMENT],
        ).fetchall()
    )
    conv = next(r for r in body["results"] if r["metric"] == "conversion")
    freq = conv["frequentist"]
    assert math.isclose(freq["control_mean"], rates["control"])
    assert math.isclose(freq["treatment_mean"], rates["treatment"])
    assert math.isclose(freq["lift"], rates["treatment"] / rates["control"] - 1)
    for part in ("cuped", "sequential", "bayes", "reported"):
        assert conv[part] is not None, part
    lo, hi = conv["reported"]["lift_ci"]
    assert lo < conv["reported"]["lift"] < hi
    assert sum(body["srm"]["observed"].values()) == sum(body["exposure"]["units"].values())
    assert body["decision"]["summary"]
    plain = (
        client_for(READER)
        .get(f"/api/v1/experiments/{EXPERIMENT}?cuped=false&metrics=conversion")
        .json()
    )
    assert [r["metric"] for r in plain["results"]] == ["conversion"]
    assert plain["results"][0]["cuped"] is None


def test_power_sample_size_reaches_the_power(client_for):
    c = client_for(READER)
    plan = c.get("/api/v1/experiments/power?baseline=0.1&mde=0.1&daily_traffic=1000").json()
    n = plan["n_control"]
    assert power_of(0.01, n, baseline=0.1) >= 0.8 > power_of(0.01, n - 1, baseline=0.1)
    assert plan["total"] == 2 * n and plan["days"] == math.ceil(2 * n / 1000)
    mde = c.get(f"/api/v1/experiments/power?baseline=0.1&n={n}").json()
    assert math.isclose(mde["mde_absolute"], 0.01, rel_tol=0.02)
    from_data = c.get(f"/api/v1/experiments/power?experiment={EXPERIMENT}&mde=0.08").json()
    assert 0 < from_data["baseline"] < 1 and from_data["days"] is not None
    assert_error(c.get("/api/v1/experiments/power?experiment=nope&mde=0.1"), 404, "not_found")


def test_abandoned_carts_page_and_csv(client_for, events):
    c = client_for("operations_director")
    first = c.get("/api/v1/abandoned-carts?limit=5").json()
    assert len(first["items"]) == 5 and first["next_offset"] == 5 and first["total"] > 5
    values = [i["value"] for i in first["items"]]
    assert values == sorted(values, reverse=True)
    # independent: none of the listed sessions has a purchase
    ids = [i["session_id"] for i in first["items"]]
    bought = events.execute(
        "select count(*) from events where event_type = 'purchase' and session_id in "
        f"({', '.join('?' for _ in ids)})",
        ids,
    ).fetchone()[0]
    assert bought == 0
    r = c.get("/api/v1/abandoned-carts?format=csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == first["total"] and rows[0]["session_id"] == ids[0]
    assert_error(client_for(EXECUTION).get("/api/v1/abandoned-carts?format=csv"), 403)
    known = c.get("/api/v1/abandoned-carts?known=true&limit=1000").json()
    assert 0 < known["total"] < first["total"]
    assert known["total"] == sum(1 for row in rows if row["customer_id"])
    assert all(i["customer_id"] for i in known["items"])
