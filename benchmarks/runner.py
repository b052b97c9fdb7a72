"""A small benchmark runner: timing, results as rows, ratios printed against the peer."""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["Measurement", "best_of", "print_table", "save"]

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Measurement:
    """One subject measured on one workload, in seconds and items per second."""

    benchmark: str
    workload: str
    subject: str
    seconds: float
    items: int
    unit: str = "rows"

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else float("inf")


def best_of(repeats: int, fn: Callable[[], object]) -> tuple[float, list[float]]:
    """Run ``fn`` ``repeats`` times; the best wall time and all times (setup belongs in fn)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), times


def print_table(rows: list[Measurement], reference: str, *, target: str = "") -> None:
    """Print each measurement with its speed as a ratio to ``reference`` on the same workload."""
    by_workload: dict[str, dict[str, Measurement]] = {}
    for m in rows:
        by_workload.setdefault(m.workload, {})[m.subject] = m
    print(f"\n{rows[0].benchmark}" + (f" (target: {target})" if target else ""))
    print(f"{'workload':<28}{'subject':<34}{'seconds':>10}{'rate/s':>14}{'vs ' + reference:>16}")
    for workload, subjects in by_workload.items():
        ref = subjects.get(reference)
        for m in subjects.values():
            ratio = f"{m.rate / ref.rate:.2f}x" if ref else "n/a"
            print(f"{workload:<28}{m.subject:<34}{m.seconds:>10.3f}{m.rate:>14,.0f}{ratio:>16}")


def save(name: str, rows: list[Measurement], extra: dict[str, object] | None = None) -> Path:
    """Write the measurements as JSON under benchmarks/results/ (not committed)."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    doc = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor(),
            "cores": __import__("os").cpu_count(),
        },
        "measurements": [asdict(m) | {"rate": m.rate} for m in rows],
        **(extra or {}),
    }
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


def median(values: list[float]) -> float:
    """Median of timings."""
    return statistics.median(values)
