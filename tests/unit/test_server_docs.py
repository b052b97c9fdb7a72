"""docs/reference/api.md is generated from the app's OpenAPI schema and must be current."""

from __future__ import annotations

from pathlib import Path

from shopscope.server import ServerSettings, create_app
from shopscope.server.apidoc import api_markdown

REPO = Path(__file__).resolve().parents[2]


def test_api_reference_is_current():
    """Regenerate with `python -m shopscope.server.apidoc > docs/reference/api.md`."""
    app = create_app(ServerSettings(warehouse="duckdb://:memory:", appdb="sqlite://"))
    doc = (REPO / "docs" / "reference" / "api.md").read_text(encoding="utf-8")
    assert doc == api_markdown(app.openapi())


def test_openapi_records_each_operations_permission():
    app = create_app(ServerSettings(warehouse="duckdb://:memory:", appdb="sqlite://"))
    ops = app.openapi()["paths"]
    assert ops["/api/v1/rfm/segments"]["get"]["x-permission"] == "retention.read"
    assert ops["/api/v1/me"]["get"]["x-permission"] == "signed-in"
    core = {"core", "admin", "insight", "retention"}
    declared = [
        "x-permission" in op
        for path in ops.values()
        for op in path.values()
        if set(op["tags"]) & core
    ]
    assert declared and all(declared)
