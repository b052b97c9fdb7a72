"""Fixtures of the integration tests: a real PostgreSQL 15 server, and the app on the demo store.

``pg_server`` runs ``initdb`` and ``pg_ctl`` (PostgreSQL 15 on PATH) in a temporary directory on
a free port, once per session, and stops it at the end; as root it runs them as the
``postgres`` user (initdb refuses root). ``appdb_url`` is parametrised so a test runs on SQLite
and on PostgreSQL. ``app_env`` is the full app on the session's demo store with one user per
role; ``client_for(role)`` gives a signed-in test client.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from server_helpers import AppEnv, free_port, login

PG_BIN = ("initdb", "pg_ctl")


def _as_pg_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@dataclass(frozen=True)
class PgServer:
    """A running PostgreSQL server: port and an admin URL."""

    port: int
    root: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """PostgreSQL 15 in a temporary directory (skips when initdb/pg_ctl are not installed)."""
    if not all(shutil.which(b) for b in PG_BIN):
        pytest.skip("initdb/pg_ctl (PostgreSQL 15) are not on PATH")
    root = Path(tempfile.mkdtemp(prefix="shopscope-pg-"))
    root.chmod(0o755)
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    log = root / "server.log"
    run = dict(check=True, capture_output=True, timeout=120)
    subprocess.run(
        _as_pg_user(["initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                     "--no-sync", "--locale=C.UTF-8"]),
        **run,
    )  # fmt: skip
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_pg_user(["pg_ctl", "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
        **run,
    )
    try:
        yield PgServer(port, root)
    finally:
        subprocess.run(
            _as_pg_user(["pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def appdb_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty application database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'app.sqlite3'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()


# -- the app on the demo store ---------------------------------------------------------------


@pytest.fixture(scope="session")
def app_env(demo_url: str, tmp_path_factory: pytest.TempPathFactory) -> AppEnv:
    """The app on the demo store (login throttling loosened; tests of it build their own app)."""
    from shopscope.cli.server import create_demo_accounts
    from shopscope.server import ServerSettings, create_app

    appdb = f"sqlite:///{tmp_path_factory.mktemp('appdb') / 'app.sqlite3'}"
    made = create_demo_accounts(appdb, demo_url, seed=7)
    # Results stay cached for the whole session: two requests that tests compare must not be
    # recomputed apart (float sums may differ in the last bits between two runs of one query).
    settings = ServerSettings(
        warehouse=demo_url, appdb=appdb, login_max_failures=1000, cache_seconds=1e9
    )
    app = create_app(settings)
    return AppEnv(app, appdb, demo_url, {a.role: (a.username, a.password) for a in made})


@pytest.fixture(scope="session")
def client_for(app_env: AppEnv) -> Callable[[str], TestClient]:
    """A signed-in client per role, created once and shared (do not sign them out)."""
    clients: dict[str, TestClient] = {}

    def get(role: str) -> TestClient:
        if role not in clients:
            client = TestClient(app_env.app, raise_server_exceptions=False)
            username, password = app_env.accounts[role]
            assert login(client, username, password).status_code == 303
            clients[role] = client
        return clients[role]

    return get


@pytest.fixture
def anon(app_env: AppEnv) -> TestClient:
    """A client that is not signed in."""
    return TestClient(app_env.app, raise_server_exceptions=False)
