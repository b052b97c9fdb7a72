"""Task inbox: brief sync semantics, workflow errors, comments, notifications, assessments."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from shopscope.appdb import accounts, open_appdb
from shopscope.appdb.models import Task, TaskNotification
from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.team import role_model
from shopscope.team.brief.model import Brief, BriefItem, Finding
from shopscope.team.positioning import assess, questionnaire
from shopscope.team.positioning.history import assessment_history, latest_positions
from shopscope.team.task_notify import Notifier
from shopscope.team.tasks import (
    add_comment,
    assign,
    list_inbox,
    set_status,
    sync_brief,
    task_view,
)

DAY = date(2026, 6, 30)


def _item(key: str, evidence: dict[str, float], role: str = "category_ops") -> BriefItem:
    return BriefItem(
        rule="restock",
        key=key,
        tier="tactical",
        role=role,
        priority="high",
        due=DAY,
        title_en=f"Restock {key}",
        title_zh=f"补货 {key}",
        evidence=evidence,
        link="/tactical",
        fingerprint=Finding(key, {}, evidence).fingerprint(),
    )


def _brief(*items: BriefItem) -> Brief:
    return Brief(as_of=DAY, items=items, skipped=())


@pytest.fixture
def db(tmp_path):
    database = open_appdb(f"sqlite:///{tmp_path / 'app.sqlite3'}", roles=role_model().role_tiers())
    yield database
    database.close()


def _count(db) -> int:
    with db.session() as s:
        return len(s.scalars(select(Task)).all())


def test_new_keys_become_tasks_and_open_tasks_are_updated_not_duplicated(db):
    first = sync_brief(db, _brief(_item("a", {"days": 3.0}), _item("b", {"days": 5.0})))
    assert len(first.created) == 2 and first.updated == ()
    second = sync_brief(db, _brief(_item("a", {"days": 1.0})))
    assert second.created == () and second.updated == (first.created[0],)
    assert _count(db) == 2
    with db.session() as s:
        task = s.get(Task, first.created[0])
        assert task.evidence == {"days": 1.0} and task.title_zh == "补货 a"
        set_status(s, task.id, "in_progress")
    third = sync_brief(db, _brief(_item("a", {"days": 0.5})))
    assert third.updated == (first.created[0],) and _count(db) == 2


def test_dismissed_task_comes_back_only_when_its_evidence_changes(db):
    (tid,) = sync_brief(db, _brief(_item("a", {"days": 3.0}))).created
    with db.session() as s:
        set_status(s, tid, "dismissed", reason="supplier already shipping")
    same = sync_brief(db, _brief(_item("a", {"days": 3.01})))  # rounds to the same evidence
    assert same.created == () and same.suppressed == ("a",)
    changed = sync_brief(db, _brief(_item("a", {"days": 9.0})))
    assert len(changed.created) == 1 and changed.created[0] != tid
    with db.session() as s:
        assert s.get(Task, tid).dismissed_reason == "supplier already shipping"


def test_done_task_whose_key_reappears_makes_a_new_task(db):
    (tid,) = sync_brief(db, _brief(_item("a", {"days": 3.0}))).created
    with db.session() as s:
        set_status(s, tid, "done")
        assert s.get(Task, tid).done_at is not None
    again = sync_brief(db, _brief(_item("a", {"days": 3.0})))
    assert len(again.created) == 1 and again.created[0] != tid


def test_workflow_errors(db):
    (tid,) = sync_brief(db, _brief(_item("a", {"days": 3.0}))).created
    with db.session() as s:
        with pytest.raises(InvalidInputError, match="Unknown task status 'closed'"):
            set_status(s, tid, "closed")
        with pytest.raises(InvalidInputError, match="needs a reason"):
            set_status(s, tid, "dismissed", reason="  ")
        with pytest.raises(NotFoundError):
            set_status(s, 999, "done")
        with pytest.raises(InvalidInputError, match="either a user or a role"):
            assign(s, tid)
        with pytest.raises(InvalidInputError, match="comment"):
            add_comment(s, tid, "   ")
        with pytest.raises(InvalidInputError, match="Unknown task status"):
            list_inbox(s, status="closed")


def test_assign_comment_and_inbox(db):
    (tid,) = sync_brief(db, _brief(_item("a", {"days": 3.0}))).created
    with db.session() as s:
        ann = accounts.create_user(s, "ann", "correct horse battery", "cs_agent")
        assign(s, tid, user=ann)
        add_comment(s, tid, "on it", by=ann)
        view = task_view(s, s.get(Task, tid), comments=True)
        assert view.assignee == "ann" and view.role == "cs_agent"
        assert [(c.author, c.body) for c in view.comments] == [("ann", "on it")]
        assert [t.id for t in list_inbox(s, user=ann, status="active")] == [tid]
        assign(s, tid, role_key="category_ops")
        assert list_inbox(s, user=ann) == []
        assert [t.id for t in list_inbox(s, role_key="category_ops")] == [tid]


class _Failing(BaseHTTPRequestHandler):
    hits = 0

    def do_POST(self) -> None:
        type(self).hits += 1
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_notification_failure_is_recorded_and_the_task_kept(db):
    server = HTTPServer(("127.0.0.1", 0), _Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/hook"
        result = sync_brief(
            db,
            _brief(_item("a", {"days": 3.0})),
            notifier=Notifier(webhook_url=url, attempts=2, backoff=0.0),
        )
    finally:
        server.shutdown()
        server.server_close()
    assert len(result.created) == 1 and result.undelivered == 1 and _Failing.hits == 2
    with db.session() as s:
        (note,) = s.scalars(select(TaskNotification)).all()
        assert not note.delivered and note.attempts == 2 and "503" in (note.error or "")
    assert _count(db) == 1


class _Inbox:
    def __init__(self) -> None:
        self.to: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.to.extend(envelope.rcpt_tos)
        return "250 OK"


def test_email_notification_goes_to_role_members_with_an_address(db):
    from aiosmtpd.controller import Controller

    from shopscope.team.notify import SmtpSettings

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=30)
    ctl.start()
    try:
        with db.session() as s:
            u = accounts.create_user(s, "cat", "correct horse battery", "category_ops")
            u.email = "cat@example.com"
            accounts.create_user(s, "noaddr", "correct horse battery", "category_ops")
        smtp = SmtpSettings(host="127.0.0.1", port=port, sender="b@example.com", security="none")
        result = sync_brief(db, _brief(_item("a", {"d": 1.0})), notifier=Notifier(smtp=smtp))
    finally:
        ctl.stop()
    assert [d.delivered for d in result.deliveries] == [True]
    assert inbox.to == ["cat@example.com"]


def test_assessments_keep_history_and_round_trip(db):
    from shopscope.team.positioning.history import save_assessment

    ids = [q.id for q in questionnaire().questions]
    low, high = dict.fromkeys(ids, 1), dict.fromkeys(ids, 4)
    with db.session() as s:
        u = accounts.create_user(s, "ann", "correct horse battery", "cs_agent")
        save_assessment(s, u, low)
        saved = save_assessment(s, u, high)
        history = assessment_history(s, u)
        assert [p for _, p in history] == [assess(low), assess(high)]
        assert latest_positions(s) == {u.id: saved}
        with pytest.raises(InvalidInputError, match="missing answers"):
            save_assessment(s, u, {ids[0]: 1})


def test_sync_is_idempotent_for_the_same_brief(db):
    brief = _brief(_item("a", {"days": 3.0}), _item("b", {"days": 2.0}))
    sync_brief(db, brief)
    again = sync_brief(db, replace(brief))
    assert again.created == () and len(again.updated) == 2 and _count(db) == 2


# -- CLI ------------------------------------------------------------------------------------


def _cli():
    import typer
    from typer.testing import CliRunner

    from shopscope.cli.tasks import register

    app = typer.Typer()
    register(app)

    @app.command("noop")
    def noop() -> None:  # a second command keeps `tasks` a sub-command
        """Nothing."""

    return app, CliRunner()


def test_cli_sync_list_and_workflow(tmp_path, demo_url):
    import json

    from shopscope.cli.main import state

    app, runner = _cli()
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    before = state.warehouse
    state.warehouse = demo_url
    try:
        first = runner.invoke(app, ["tasks", "sync", "--appdb", url, "-f", "json"])
        assert first.exit_code == 0, first.output
        created = json.loads(first.stdout)["created"]
        assert created  # the demo store has findings
    finally:
        state.warehouse = before
    listed = runner.invoke(app, ["tasks", "list", "--appdb", url, "-f", "json"])
    assert sorted(t["id"] for t in json.loads(listed.stdout)) == sorted(created)
    tid = str(created[0])
    r = runner.invoke(app, ["tasks", "set-status", tid, "dismissed", "--appdb", url])
    assert isinstance(r.exception, InvalidInputError)
    r = runner.invoke(
        app, ["tasks", "set-status", tid, "dismissed", "--reason", "known", "--appdb", url,
              "-f", "json"],
    )  # fmt: skip
    assert json.loads(r.stdout)["status"] == "dismissed"
    r = runner.invoke(app, ["tasks", "comment", tid, "checked", "--appdb", url, "-f", "json"])
    assert json.loads(r.stdout)["comments"][0]["body"] == "checked"
    r = runner.invoke(app, ["tasks", "assign", tid, "--role", "cs_agent", "--appdb", url, "-f",
                            "csv"])  # fmt: skip
    assert r.exit_code == 0 and "cs_agent" in r.stdout
    r = runner.invoke(app, ["tasks", "list", "--status", "dismissed", "--appdb", url, "-f", "csv"])
    assert r.stdout.splitlines()[0].startswith("id,status") and len(r.stdout.splitlines()) == 2
    # the terminal: one block per task, the title whole and nothing wider than 80 columns
    tasks = json.loads(runner.invoke(app, ["tasks", "list", "--appdb", url, "-f", "json"]).stdout)
    table = runner.invoke(app, ["tasks", "list", "--appdb", url], env={"COLUMNS": "80"}).stdout
    lines = [line.rstrip() for line in table.splitlines()]
    assert lines[0] == f"{len(tasks)} tasks" and max(map(len, lines)) <= 80
    for t in tasks:
        assert f"#{t['id']} {t['status']} · {t['priority']} · due {t['due'][:10]}" in table
        assert " ".join(t["title"].split()) in " ".join(table.split())  # folded, never cut
    shown = runner.invoke(app, ["tasks", "show", tid, "--appdb", url, "-f", "table"]).stdout
    assert "dismissed: known" in shown and "system at " in shown and ": checked" in shown


def test_revision_0002_upgrades_a_database_with_tasks(tmp_path):
    from sqlalchemy import create_engine, text

    from shopscope.appdb.migrate import upgrade

    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO roles (key, tier) VALUES ('cs_agent', 'execution')"))
        conn.execute(
            text(
                "INSERT INTO tasks (title, body, role_key, source, status, created_at) "
                "VALUES ('Old task', '', 'cs_agent', 'manual', 'open', '2026-01-01 00:00:00')"
            )
        )
    upgrade(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT title, priority, key, evidence FROM tasks")).one()
    engine.dispose()
    assert tuple(row) == ("Old task", "medium", None, None)
