"""Static files: the app's CSS/JS and plotly.min.js from the installed plotly package.

Paths are resolved and must stay inside their folder (no ``..``, no absolute paths, no
symlinks out), and only known file types are served; nothing comes from a CDN.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from shopscope.server.auth import public
from shopscope.server.errors import ApiError

__all__ = ["STATIC_DIR", "plotly_js_path", "resolve_static", "router"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
_TYPES = {
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
router = APIRouter(include_in_schema=False)


@cache
def plotly_js_path() -> Path:
    """``plotly.min.js`` shipped inside the installed ``plotly`` Python package."""
    import plotly

    path = Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"
    if not path.is_file():  # pragma: no cover - broken install
        raise FileNotFoundError(f"plotly.min.js not found at {path}; reinstall plotly.")
    return path


def resolve_static(root: Path, name: str) -> Path:
    """The file ``name`` under ``root``; 404 for anything outside it or of an unknown type."""
    not_found = ApiError(404, "not_found", f"No static file {name[:100]!r}.")
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        raise not_found
    base = root.resolve()
    try:
        path = (base / name).resolve(strict=True)
    except (OSError, RuntimeError):
        raise not_found from None
    if not path.is_relative_to(base) or not path.is_file() or path.suffix not in _TYPES:
        raise not_found
    return path


@router.get("/static/vendor/plotly.min.js", dependencies=[Depends(public)])
def plotly_js() -> FileResponse:
    """plotly.js from the plotly package (cached for a day)."""
    return FileResponse(
        plotly_js_path(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/static/{name:path}", dependencies=[Depends(public)])
def static_file(name: str) -> FileResponse:
    """A file of ``server/static``."""
    path = resolve_static(STATIC_DIR, name)
    return FileResponse(path, media_type=_TYPES[path.suffix], headers={"Cache-Control": "no-cache"})
