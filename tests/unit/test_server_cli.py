"""``shopscope user ...`` commands and the demo accounts, through the real typer commands."""

from __future__ import annotations

import json
import re

import pytest
import typer
from typer.testing import CliRunner

from shopscope.appdb import accounts, open_appdb
from shopscope.cli.server import create_demo_accounts, register
from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.team import role_model


@pytest.fixture
def cli(tmp_path):
    app = typer.Typer()
    register(app)
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    runner = CliRunner()

    def run(*args: str):
        with_db = args[:2] != ("user", "roles")
        return runner.invoke(app, [*args, "--appdb", url] if with_db else list(args))

    return run, url


def test_user_commands(cli):
    run, url = cli
    r = run("user", "add", "ana", "--role", "user_ops", "--password", "a long enough password")
    assert r.exit_code == 0, r.output
    listed = json.loads(run("user", "list", "-f", "json").stdout)
    assert [(u["username"], u["role"], u["tier"]) for u in listed] == [
        ("ana", "user_ops", "tactical")
    ]
    assert run("user", "set-role", "ana", "category_ops").exit_code == 0
    assert run("user", "set-email", "ana", "ana@shop.example").exit_code == 0
    assert isinstance(
        run("user", "set-email", "ana", "not-an-address").exception, InvalidInputError
    )
    r = run("user", "reset-password", "ana", "--generate")
    new_password = r.stdout.strip().splitlines()[-1]
    r = run("user", "token", "ana", "--name", "etl", "--scope", "insight.read")
    secret = r.stdout.strip().splitlines()[-1]
    db = open_appdb(url)
    with db.session() as s:
        assert accounts.get_user(s, "ana").role_key == "category_ops"
        assert accounts.get_user(s, "ana").email == "ana@shop.example"
        assert accounts.authenticate(s, "ana", new_password) is not None
        assert accounts.authenticate(s, "ana", "a long enough password") is None
        found = accounts.find_token(s, secret)
        assert found is not None and found[0].scopes == ["insight.read"]
    db.close()
    bad = run("user", "add", "bo", "--role", "boss", "--password", "a long enough password")
    assert isinstance(bad.exception, InvalidInputError)
    missing = run("user", "set-role", "ghost", "user_ops")
    assert isinstance(missing.exception, NotFoundError)
    wide = run("user", "token", "ana", "--name", "x", "--scope", "users.manage")
    assert isinstance(wide.exception, InvalidInputError)
    roles = json.loads(run("user", "roles", "-f", "json").stdout)
    assert {r["role"] for r in roles} == set(role_model().roles)


def test_demo_accounts_one_per_role_with_working_fresh_passwords(tmp_path):
    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    first = create_demo_accounts(url, "duckdb://:memory:")
    again = create_demo_accounts(url, "duckdb://:memory:")
    assert sorted(a.role for a in first) == sorted(role_model().roles)
    assert {a.password for a in first}.isdisjoint({a.password for a in again})
    db = open_appdb(url)
    with db.session() as s:
        for a in again[:3]:
            assert accounts.authenticate(s, a.username, a.password) is not None
        assert accounts.authenticate(s, first[0].username, first[0].password) is None
    db.close()


def test_printed_demo_accounts_are_whole_on_an_80_column_terminal(tmp_path, monkeypatch, capsys):
    """`shopscope demo` prints the sign-ins: a name or password cut short is useless."""
    from shopscope.cli.data import _print_demo_accounts

    monkeypatch.setenv("COLUMNS", "80")
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    _print_demo_accounts(url)
    printed = capsys.readouterr().err
    assert "…" not in printed and max(len(line) for line in printed.splitlines()) <= 80
    rows = re.findall(r"│ (demo-[a-z-]+) +│ (\S+) +│ (\w+) +│", printed)
    model = role_model()
    assert sorted(name for name, _, _ in rows) == sorted(
        f"demo-{key.replace('_', '-')}" for key in model.roles
    )
    db = open_appdb(None, warehouse_url=url)
    with db.session() as s:
        for name, password, tier in rows:
            user = accounts.authenticate(s, name, password)
            assert user is not None, name
            assert model.roles[user.role_key].tier == tier
    db.close()
