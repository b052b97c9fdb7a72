"""``kill -9`` of the event server in the middle of a load loses no acknowledged event.

A real collector process (uvicorn) takes batches from a client thread; the test kills it with
SIGKILL while batches are in flight, restarts it on the same warehouse and journal, resends the
last acknowledged batch (a client retry), and checks that every acknowledged event is in the
warehouse exactly once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from shopscope.warehouse.connection import connect

TOKEN = "crash-test-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SHOPSCOPE_EVENTS_TOKEN": TOKEN}
    cmd = [sys.executable, "-m", "shopscope.server.events.app", "--warehouse", url]
    proc = subprocess.Popen([*cmd, "--port", str(port)], env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/api/v1/events/stats", headers=HEADERS)
            if r.status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "server died")
    proc.kill()
    raise AssertionError("the event server did not start within 30 s")


def _batch(start: int, n: int) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"ev-{i}",
            "occurred_at": "2026-11-24T10:00:00Z",
            "event_type": "page_view",
            "session_id": f"s{i // 10}",
        }
        for i in range(start, start + n)
    ]


@pytest.mark.slow
def test_kill_9_loses_no_acknowledged_event_and_duplicates_none(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    connect(url).close()
    port = _free_port()
    server = _start(url, port)
    acked: list[list[dict[str, Any]]] = []
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=HEADERS) as client:
            start = 0
            while not stop.is_set():
                batch = _batch(start, 250)
                start += 250
                try:
                    r = client.post("/api/v1/events", json={"events": batch}, timeout=30)
                except httpx.TransportError:
                    return  # the server is gone; this batch was never acknowledged
                if r.status_code == 200:
                    acked.append(batch)

    thread = threading.Thread(target=load)
    thread.start()
    deadline = time.monotonic() + 60
    while len(acked) < 40 and time.monotonic() < deadline:
        time.sleep(0.02)
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    thread.join()
    assert len(acked) >= 40, "the load did not get going before the kill"

    server = _start(url, port)  # recovery replays the journal before it answers
    retry = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/events", json={"events": acked[-1]}, headers=HEADERS
    )
    assert retry.status_code == 200
    server.send_signal(signal.SIGTERM)  # graceful: the loader's last flush runs
    server.wait(timeout=30)

    ids = {e["event_id"] for batch in acked for e in batch}
    with connect(url, read_only=True) as wh:
        rows = wh.duckdb.execute("SELECT event_id FROM events").fetchall()
    stored = [r[0] for r in rows]
    assert len(stored) == len(set(stored)), "an event was stored twice"
    missing = ids - set(stored)
    assert not missing, (
        f"{len(missing)} acknowledged events are missing, e.g. {sorted(missing)[:3]}"
    )
