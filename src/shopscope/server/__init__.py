"""The platform server: FastAPI app with the REST API, web workspaces and accounts.

Build it with :func:`create_app`; run it with ``shopscope serve``. See ``docs/server.md``.
"""

from __future__ import annotations

from shopscope.server.app import create_app as create_app
from shopscope.server.settings import ServerSettings as ServerSettings

__all__ = ["ServerSettings", "create_app"]
