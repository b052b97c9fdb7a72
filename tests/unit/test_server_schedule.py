"""The server's scheduled daily brief: when it runs, and what one run does."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from shopscope.errors import ConfigurationError
from shopscope.server import ServerSettings, create_app
from shopscope.server.schedule import next_run, parse_clock, run_brief


def test_next_run_is_the_next_occurrence_after_now() -> None:
    at = time(6, 0)
    assert next_run(datetime(2026, 11, 24, 5, 59, tzinfo=UTC), at) == datetime(
        2026, 11, 24, 6, 0, tzinfo=UTC
    )
    assert next_run(datetime(2026, 11, 24, 6, 0, tzinfo=UTC), at) == datetime(
        2026, 11, 25, 6, 0, tzinfo=UTC
    )
    assert parse_clock("06:30") == time(6, 30)
    with pytest.raises(ConfigurationError, match="HH:MM"):
        parse_clock("6pm")


def test_one_run_turns_the_brief_into_tasks_once(demo_url: str, tmp_path: Path) -> None:
    half_a_day_away = (datetime.now(UTC) + timedelta(hours=12)).strftime("%H:%M")  # never fires
    settings = ServerSettings(
        warehouse=demo_url, appdb=f"sqlite:///{tmp_path / 'app.sqlite3'}", brief_at=half_a_day_away
    )
    app = create_app(settings)
    with TestClient(app):  # the scheduler starts and stops with the app
        state = app.state.shopscope
        first = run_brief(state)
        again = run_brief(state)
    assert first.created and not first.updated
    assert not again.created and sorted(again.updated) == sorted(first.created)
