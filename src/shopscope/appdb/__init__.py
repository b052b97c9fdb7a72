"""Application state (SQLAlchemy 2 + Alembic): users, roles, sessions, tokens, views, tasks, audit.

Open it with :func:`open_appdb` (SQLite next to the warehouse by default, PostgreSQL by URL);
the packaged migrations run on open. See ``docs/server.md``.
"""

from __future__ import annotations

from shopscope.appdb.database import AppDB as AppDB
from shopscope.appdb.database import default_appdb_url as default_appdb_url
from shopscope.appdb.database import open_appdb as open_appdb
from shopscope.appdb.models import ApiToken as ApiToken
from shopscope.appdb.models import AuditEntry as AuditEntry
from shopscope.appdb.models import SavedView as SavedView
from shopscope.appdb.models import Task as Task
from shopscope.appdb.models import User as User
from shopscope.appdb.models import UserSession as UserSession

__all__ = [
    "ApiToken",
    "AppDB",
    "AuditEntry",
    "SavedView",
    "Task",
    "User",
    "UserSession",
    "default_appdb_url",
    "open_appdb",
]
