"""Run the packaged Alembic migrations programmatically (no ``alembic.ini``, no ``env.py``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

__all__ = ["MIGRATIONS_DIR", "current_revision", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _script() -> tuple[Config, ScriptDirectory]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config, ScriptDirectory.from_config(config)


def head_revision() -> str:
    """The newest revision shipped with this version of shopscope."""
    head = _script()[1].get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database at ``engine`` to ``revision`` (default: the newest), in a transaction."""
    config, script = _script()

    def steps(rev: Any, _context: Any) -> Any:
        return script._upgrade_revs(revision, rev)

    with (
        engine.begin() as conn,
        EnvironmentContext(config, script, fn=steps, destination_rev=revision) as env,
    ):
        env.configure(connection=conn, transactional_ddl=True)
        with env.begin_transaction():
            env.run_migrations()
