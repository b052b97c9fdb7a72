"""Opening the application database: URL resolution, engine options, migrations, role sync."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from shopscope.appdb.migrate import upgrade
from shopscope.appdb.models import RoleRow
from shopscope.errors import ConfigurationError
from shopscope.settings import DEFAULT_DATA_DIR

__all__ = ["AppDB", "default_appdb_url", "normalise_url", "open_appdb"]

APPDB_FILE = "app.sqlite3"


def default_appdb_url(warehouse_url: str | None = None) -> str:
    """SQLite next to the warehouse file (``shopscope-data/app.sqlite3`` by default).

    A DuckDB file warehouse gets ``app.sqlite3`` in the same directory; in-memory or Spark
    warehouses get the default data directory.
    """
    directory = DEFAULT_DATA_DIR
    if warehouse_url and warehouse_url.startswith("duckdb:///"):
        path = warehouse_url.removeprefix("duckdb:///")
        if path and path != ":memory:":
            directory = Path(path).parent
    return f"sqlite:///{directory / APPDB_FILE}"


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` use the psycopg 3 driver; other URLs pass through."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(
            f"Application database URL {url!r} cannot be parsed. Use sqlite:///path/app.sqlite3 "
            "or postgresql://user:password@host:5432/dbname."
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigurationError(
            f"Application database {backend!r} is not supported; use sqlite:///... or "
            "postgresql://..."
        )
    if backend == "sqlite":
        memory = parsed.database in (None, "", ":memory:")
        if not memory and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class AppDB:
    """An open application database: an engine and a session factory."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        """The URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def backend_name(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.url.get_backend_name()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back on an exception."""
        with self._sessions() as s, s.begin():
            yield s

    def sync_roles(self, roles: Mapping[str, str]) -> None:
        """Insert or update the role rows (role key → tier) so users can reference them."""
        with self.session() as s:
            existing = {r.key: r for r in s.scalars(select(RoleRow))}
            for key, tier in roles.items():
                row = existing.get(key)
                if row is None:
                    s.add(RoleRow(key=key, tier=tier))
                elif row.tier != tier:
                    row.tier = tier

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def open_appdb(
    url: str | None = None,
    *,
    warehouse_url: str | None = None,
    roles: Mapping[str, str] | None = None,
) -> AppDB:
    """Open (creating and migrating when needed) the application database.

    Parameters
    ----------
    url:
        ``sqlite:///path`` or ``postgresql://...``; default :func:`default_appdb_url`.
    warehouse_url:
        The warehouse the app serves; decides the default SQLite location.
    roles:
        Role key → tier to mirror into the ``roles`` table (the server passes the role model).
    """
    engine = _engine(normalise_url(url or default_appdb_url(warehouse_url)))
    upgrade(engine)
    db = AppDB(engine)
    if roles:
        db.sync_roles(roles)
    return db
