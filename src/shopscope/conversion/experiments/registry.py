"""The experiment registry: metadata, hypothesis, metrics, dates and decision, in the warehouse.

Table ``experiment_registry`` (created on first write; not a canonical table, so ingestion and
the schema docs do not touch it; the app database may take it over later):

| column | type | meaning |
|---|---|---|
| experiment_id | string | id used in ``events.experiment_id`` |
| name, hypothesis, owner | string | what and why, who |
| metrics, guardrails | string | comma-separated metric names (decision metric first) |
| control | string | control variant |
| allocation | string | JSON object variant → share |
| start_date, end_date | date | planned window |
| status | string | ``draft`` / ``running`` / ``stopped`` / ``decided`` |
| decision, decision_summary | string | verdict and the plain-language summary |
| updated_at | timestamp | last change (UTC) |
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Literal

import pyarrow as pa

from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.warehouse.connection import Warehouse

__all__ = ["REGISTRY_TABLE", "RegisteredExperiment", "get_experiment", "list_registered",
           "record_decision", "register_experiment"]  # fmt: skip

REGISTRY_TABLE = "experiment_registry"
Status = Literal["draft", "running", "stopped", "decided"]
_STATUSES = ("draft", "running", "stopped", "decided")

_SCHEMA = pa.schema(
    [
        ("experiment_id", pa.string()), ("name", pa.string()), ("hypothesis", pa.string()),
        ("owner", pa.string()), ("metrics", pa.string()), ("guardrails", pa.string()),
        ("control", pa.string()), ("allocation", pa.string()), ("start_date", pa.date32()),
        ("end_date", pa.date32()), ("status", pa.string()), ("decision", pa.string()),
        ("decision_summary", pa.string()), ("updated_at", pa.timestamp("us")),
    ]
)  # fmt: skip


@dataclass(frozen=True)
class RegisteredExperiment:
    """One registry entry."""

    experiment_id: str
    name: str = ""
    hypothesis: str = ""
    owner: str = ""
    metrics: tuple[str, ...] = ("conversion",)
    guardrails: tuple[str, ...] = ()
    control: str = "control"
    allocation: dict[str, float] = field(default_factory=dict)
    start_date: date | None = None
    end_date: date | None = None
    status: Status = "draft"
    decision: str = ""
    decision_summary: str = ""
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.experiment_id.strip():
            raise InvalidInputError("experiment_id must not be empty.")
        if self.status not in _STATUSES:
            raise InvalidInputError(f"status {self.status!r}: use one of {', '.join(_STATUSES)}.")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise InvalidInputError(
                f"end_date {self.end_date} is before start_date {self.start_date}."
            )
        if any(v <= 0 for v in self.allocation.values()):
            raise InvalidInputError(f"allocation shares must be > 0, got {self.allocation}.")


def _row(e: RegisteredExperiment) -> dict[str, object]:
    d = asdict(e)
    d["metrics"] = ",".join(e.metrics)
    d["guardrails"] = ",".join(e.guardrails)
    d["allocation"] = json.dumps(e.allocation, sort_keys=True)
    return d


def _from_row(r: dict[str, object]) -> RegisteredExperiment:
    def split(v: object) -> tuple[str, ...]:
        return tuple(s for s in str(v or "").split(",") if s)

    return RegisteredExperiment(
        experiment_id=str(r["experiment_id"]), name=str(r["name"] or ""),
        hypothesis=str(r["hypothesis"] or ""), owner=str(r["owner"] or ""),
        metrics=split(r["metrics"]), guardrails=split(r["guardrails"]),
        control=str(r["control"] or "control"),
        allocation={str(k): float(v) for k, v in json.loads(str(r["allocation"] or "{}")).items()},
        start_date=r["start_date"],  # type: ignore[arg-type]
        end_date=r["end_date"],  # type: ignore[arg-type]
        status=r["status"],  # type: ignore[arg-type]
        decision=str(r["decision"] or ""), decision_summary=str(r["decision_summary"] or ""),
        updated_at=r["updated_at"],  # type: ignore[arg-type]
    )  # fmt: skip


def list_registered(wh: Warehouse) -> list[RegisteredExperiment]:
    """All registry entries (empty when the registry table does not exist yet)."""
    if not wh.has_table(REGISTRY_TABLE):
        return []
    rows = wh.table(REGISTRY_TABLE).order_by("experiment_id").to_pyarrow().to_pylist()
    return [_from_row(r) for r in rows]


def get_experiment(wh: Warehouse, experiment_id: str) -> RegisteredExperiment:
    """One entry; the error lists the registered ids."""
    entries = list_registered(wh)
    for e in entries:
        if e.experiment_id == experiment_id:
            return e
    ids = ", ".join(e.experiment_id for e in entries) or "(none)"
    raise NotFoundError(
        f"Experiment {experiment_id!r} is not registered. Registered: {ids}. Register it with "
        "register_experiment(...)."
    )


def register_experiment(wh: Warehouse, entry: RegisteredExperiment) -> RegisteredExperiment:
    """Insert or replace ``entry`` (keyed by ``experiment_id``); returns it with ``updated_at``."""
    entry = replace(entry, updated_at=datetime.now(UTC).replace(tzinfo=None))
    others = [e for e in list_registered(wh) if e.experiment_id != entry.experiment_id]
    table = pa.Table.from_pylist([_row(e) for e in [*others, entry]], schema=_SCHEMA)
    if wh.backend_name == "duckdb":
        con = wh.duckdb
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {REGISTRY_TABLE} (experiment_id VARCHAR PRIMARY KEY, "
            "name VARCHAR, hypothesis VARCHAR, owner VARCHAR, metrics VARCHAR, "
            "guardrails VARCHAR, control VARCHAR, allocation VARCHAR, start_date DATE, "
            "end_date DATE, status VARCHAR, decision VARCHAR, decision_summary VARCHAR, "
            "updated_at TIMESTAMP)"
        )
        con.register("_registry_incoming", table)
        try:
            con.execute("BEGIN")
            con.execute(f"DELETE FROM {REGISTRY_TABLE}")
            con.execute(f"INSERT INTO {REGISTRY_TABLE} SELECT * FROM _registry_incoming")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        finally:
            con.unregister("_registry_incoming")
    else:
        wh.write_arrow(REGISTRY_TABLE, table, mode="overwrite")
    return entry


def record_decision(
    wh: Warehouse, experiment_id: str, decision: str, summary: str
) -> RegisteredExperiment:
    """Store a decision on a registered experiment and mark it ``decided``."""
    entry = get_experiment(wh, experiment_id)
    return register_experiment(
        wh, replace(entry, decision=decision, decision_summary=summary, status="decided")
    )
