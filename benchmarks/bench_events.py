"""Real-time event ingestion: sustained throughput and acknowledgement latency on loopback.

A collector process (``python -m shopscope.server.events.app``, uvicorn, one worker) owns a fresh
DuckDB warehouse; this process is the load generator (HTTP/1.1 keep-alive clients in threads).

throughput
    Closed loop: ``BENCH_EVENTS_CLIENTS`` clients (default 4) post batches of 1,000 events for
    ``BENCH_EVENTS_SECONDS`` seconds (default 15). Reported: events acknowledged per second, and
    events loaded into the warehouse per second over the same run plus the time to drain the
    backlog (sustained means the loader keeps up, not only the journal). Target >= 20,000/s.
latency
    Open loop at 5,000 events/s: a batch of 100 events every 20 ms, on schedule whatever the
    answers do; latency is measured from the scheduled send time (no coordinated omission).
    The first second (client connections opening) is not counted. Target p99 < 100 ms.

Every acknowledged event is durable: the journal is fdatasync'ed before each answer (group
commit).
"""

from __future__ import annotations

import os
import queue
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.runner import Measurement, save

TOKEN = "bench-token"
HEADERS = {"Authorization": f"Bearer {TOKEN}"}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _events(start: int, n: int) -> list[dict[str, Any]]:
    return [
        {
            "event_id": f"b{i}",
            "occurred_at": "2026-11-24T10:00:00Z",
            "event_type": "product_view" if i % 3 else "page_view",
            "session_id": f"s{i // 8}",
            "anonymous_id": f"a{i // 40}",
            "sku": f"SKU{i % 500}",
            "device": "mobile",
            "utm_source": "google",
        }
        for i in range(start, start + n)
    ]


class Server:
    def __init__(self, folder: Path) -> None:
        self.url = f"duckdb:///{folder / 'wh.duckdb'}"
        self.port = _port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "SHOPSCOPE_EVENTS_TOKEN": TOKEN}
        cmd = [sys.executable, "-m", "shopscope.server.events.app", "--warehouse", self.url]
        self.proc = subprocess.Popen([*cmd, "--port", str(self.port)], env=env)
        for _ in range(600):
            try:
                if self.stats():
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError("collector did not start")

    def stats(self) -> dict[str, Any]:
        r = httpx.get(f"{self.base}/api/v1/events/stats", headers=HEADERS)
        r.raise_for_status()
        out: dict[str, Any] = r.json()
        return out

    def drain(self) -> float:
        start = time.perf_counter()
        while self.stats()["backlog"] > 0:
            time.sleep(0.02)
        return time.perf_counter() - start

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def throughput(server: Server, clients: int, seconds: float) -> dict[str, float]:
    sent = [0] * clients
    refused = [0] * clients
    stop = time.perf_counter() + seconds

    def client(k: int) -> None:
        with httpx.Client(base_url=server.base, headers=HEADERS, timeout=30) as c:
            start = k * 10**9
            while time.perf_counter() < stop:
                body = {"events": _events(start, 1000)}
                r = c.post("/api/v1/events", json=body)
                if r.status_code == 429:
                    refused[k] += 1
                    time.sleep(float(r.headers.get("Retry-After", "1")))
                    continue
                r.raise_for_status()
                sent[k] += 1000
                start += 1000

    begin = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    acked_seconds = time.perf_counter() - begin
    drain = server.drain()
    total = sum(sent)
    return {
        "acked": total,
        "ack_rate": total / acked_seconds,
        "load_rate": total / (acked_seconds + drain),
        "drain_seconds": drain,
        "refused_batches": sum(refused),
        "seconds": acked_seconds,
    }


def latency(
    server: Server, rate: int, seconds: float, batch: int = 100, warmup: float = 1.0
) -> dict[str, float]:
    interval = batch / rate
    n = int((seconds + warmup) / interval)
    skip = int(warmup / interval)
    start = time.perf_counter() + 0.2
    jobs: queue.Queue[int | None] = queue.Queue()
    lat: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        with httpx.Client(base_url=server.base, headers=HEADERS, timeout=30) as c:
            while (i := jobs.get()) is not None:
                due = start + i * interval
                time.sleep(max(0.0, due - time.perf_counter()))
                r = c.post(
                    "/api/v1/events", json={"events": _events(5 * 10**10 + i * batch, batch)}
                )
                r.raise_for_status()
                if i >= skip:
                    with lock:
                        lat.append(time.perf_counter() - due)

    workers = [threading.Thread(target=worker) for _ in range(16)]
    for w in workers:
        w.start()
    for i in range(n):
        jobs.put(i)
    for _ in workers:
        jobs.put(None)
    for w in workers:
        w.join()
    lat.sort()
    return {
        "requests": len(lat),
        "p50_ms": 1000 * statistics.median(lat),
        "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))],
        "max_ms": 1000 * lat[-1],
    }


def main() -> None:
    clients = int(os.environ.get("BENCH_EVENTS_CLIENTS", "4"))
    seconds = float(os.environ.get("BENCH_EVENTS_SECONDS", "15"))
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            tp = throughput(server, clients, seconds)
            lt = latency(server, 5000, seconds)
        finally:
            server.stop()
    print("\nevent ingestion (targets: >= 20,000 events/s sustained; p99 ack < 100 ms at 5,000/s)")
    print(
        f"throughput: {tp['acked']:,.0f} events in {tp['seconds']:.1f} s -> acknowledged "
        f"{tp['ack_rate']:,.0f}/s ({tp['ack_rate'] / 20_000:.2f}x target), loaded "
        f"{tp['load_rate']:,.0f}/s incl. {tp['drain_seconds']:.2f} s drain "
        f"({tp['load_rate'] / 20_000:.2f}x target); 429 answers: {tp['refused_batches']:.0f}"
    )
    print(
        f"latency @5,000/s: {lt['requests']:.0f} batches of 100, p50 {lt['p50_ms']:.1f} ms, "
        f"p99 {lt['p99_ms']:.1f} ms ({lt['p99_ms'] / 100:.2f}x the 100 ms limit), "
        f"max {lt['max_ms']:.1f} ms"
    )
    rows = [
        Measurement("events", "throughput", "acknowledged", tp["seconds"], int(tp["acked"])),
        Measurement(
            "events",
            "throughput",
            "loaded",
            tp["seconds"] + tp["drain_seconds"],
            int(tp["acked"]),
        ),
    ]
    save("events", rows, {"throughput": tp, "latency": lt})


if __name__ == "__main__":
    main()
