"""The application database on SQLite and on a real PostgreSQL 15 (same tests, both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import inspect

from shopscope.appdb import accounts, open_appdb, records
from shopscope.appdb.migrate import current_revision, head_revision
from shopscope.appdb.models import Base, UserSession, utcnow
from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.team import role_model

ROLES = role_model().role_tiers()


@pytest.fixture
def db(appdb_url: str):
    database = open_appdb(appdb_url, roles=ROLES)
    yield database
    database.close()


def test_migrations_create_every_table_and_reopen_is_idempotent(db, appdb_url):
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(db.engine) == head_revision()
    again = open_appdb(appdb_url, roles=ROLES)  # a second open migrates nothing and keeps data
    assert current_revision(again.engine) == head_revision()
    again.close()


def test_users_passwords_and_roles(db):
    with db.session() as s:
        accounts.create_user(s, "ana", "a long enough password", "user_ops", display_name="Ana")
    with db.session() as s:
        assert accounts.authenticate(s, "ana", "a long enough password") is not None
        assert accounts.authenticate(s, "ana", "wrong password!!") is None
        assert accounts.authenticate(s, "nobody", "a long enough password") is None
        stored = accounts.get_user(s, "ana").password_hash
        assert stored.startswith("$argon2id$") and "a long enough" not in stored
    with db.session() as s, pytest.raises(InvalidInputError, match="exists"):
        accounts.create_user(s, "ana", "another password", "user_ops")
    with db.session() as s, pytest.raises(InvalidInputError, match="Unknown role 'boss'"):
        accounts.create_user(s, "bob", "a long enough password", "boss")
    with db.session() as s, pytest.raises(InvalidInputError, match="at least 10"):
        accounts.create_user(s, "bob", "short", "user_ops")
    with db.session() as s, pytest.raises(InvalidInputError, match="not allowed"):
        accounts.create_user(s, "Bob Smith", "a long enough password", "user_ops")
    with db.session() as s:
        accounts.set_role(s, "ana", "operations_director")
    with db.session() as s:
        assert [u.role_key for u in accounts.list_users(s)] == ["operations_director"]


def test_sessions_expire_and_end_on_password_change(db):
    with db.session() as s:
        user = accounts.create_user(s, "cy", "a long enough password", "cs_agent")
        token, row = accounts.create_session(s, user, lifetime=timedelta(hours=1))
        assert row.token_hash != token and len(row.csrf_token) >= 32
    with db.session() as s:
        assert accounts.find_session(s, token, idle=timedelta(minutes=30)) is not None
        assert accounts.find_session(s, token + "x", idle=timedelta(minutes=30)) is None
    with db.session() as s:  # idle for longer than allowed: gone
        s.query(UserSession).update({UserSession.last_seen_at: utcnow() - timedelta(hours=2)})
    with db.session() as s:
        assert accounts.find_session(s, token, idle=timedelta(minutes=30)) is None
    with db.session() as s:
        token, _ = accounts.create_session(
            s, accounts.get_user(s, "cy"), lifetime=timedelta(hours=1)
        )
        accounts.set_password(s, "cy", "a new long password")
    with db.session() as s:
        assert accounts.find_session(s, token, idle=timedelta(minutes=30)) is None


def test_api_tokens_are_hashed_scoped_and_revocable(db):
    allowed = sorted(role_model().grants("user_ops"))
    with db.session() as s:
        user = accounts.create_user(s, "di", "a long enough password", "user_ops")
        issued = accounts.create_token(s, user, "etl", ["retention.read"], allowed=allowed)
        with pytest.raises(InvalidInputError, match="not permitted"):
            accounts.create_token(s, user, "too much", ["users.manage"], allowed=allowed)
        stored = accounts.list_tokens(s, user)[0]
        assert issued.secret not in (stored.token_hash, stored.prefix)
    with db.session() as s:
        found = accounts.find_token(s, issued.secret)
        assert found is not None and found[0].scopes == ["retention.read"]
        assert accounts.find_token(s, issued.secret[:-2] + "zz") is None
        assert accounts.find_token(s, "not-a-token") is None
        accounts.revoke_token(s, accounts.get_user(s, "di"), issued.id)
    with db.session() as s:
        assert accounts.find_token(s, issued.secret) is None


def test_tasks_views_and_audit(db):
    with db.session() as s:
        agent = accounts.create_user(s, "ed", "a long enough password", "cs_agent")
        other = accounts.create_user(s, "fay", "a long enough password", "cs_agent")
        mine = records.add_task(s, "Reply to ticket 12", assignee=agent)
        shared = records.add_task(s, "Check returns", role_key="cs_agent")
        records.add_task(s, "Not for agents", role_key="traffic_ops")
        with pytest.raises(InvalidInputError, match="role"):
            records.add_task(s, "Nowhere")
    with db.session() as s:
        ed, fay = accounts.get_user(s, "ed"), accounts.get_user(s, "fay")
        assert [t.title for t in records.list_tasks(s, ed)] == [
            "Reply to ticket 12",
            "Check returns",
        ]
        assert [t.id for t in records.list_tasks(s, fay)] == [shared.id]
        with pytest.raises(NotFoundError):
            records.complete_task(s, fay, mine.id)
        records.complete_task(s, ed, shared.id)
        assert records.list_tasks(s, fay) == []
        view = records.save_view(s, ed, "Mobile", "/tactical?dimension=device")
        with pytest.raises(InvalidInputError, match="local page path"):
            records.save_view(s, ed, "Evil", "//evil.example/")
        assert [v.name for v in records.list_views(s, ed)] == ["Mobile"]
        with pytest.raises(NotFoundError):
            records.delete_view(s, fay, view.id)
        records.audit(s, "ed", "export.csv", target="/api/v1/x", details={"rows": 3})
        records.audit(s, "ed", "login.success")
        assert other.id != agent.id
    with db.session() as s:
        assert records.count_audit(s) == 2
        assert [a.action for a in records.list_audit(s, action="export.csv")] == ["export.csv"]
        assert records.list_audit(s)[0].details in ({}, {"rows": 3})


def test_the_app_runs_on_this_backend(appdb_url, demo_url):
    from fastapi.testclient import TestClient
    from server_helpers import login

    from shopscope.server import ServerSettings, create_app

    app = create_app(ServerSettings(warehouse=demo_url, appdb=appdb_url))
    with app.state.shopscope.db.session() as s:
        accounts.create_user(s, "gil", "a long enough password", "cs_agent")
    client = TestClient(app, raise_server_exceptions=False)
    assert login(client, "gil", "a long enough password").status_code == 303
    me = client.get("/api/v1/me").json()
    assert me["role"] == "cs_agent" and me["workspace"] == "execution"
    assert client.get("/execution").status_code == 200
    assert client.get("/strategic").status_code == 403
    with app.state.shopscope.db.session() as s:
        assert records.count_audit(s, action="login.success") == 1
    app.state.shopscope.db.close()
