"""Logistics commands: ``shopscope route`` (delivery routes) and ``pick`` (pick lists)."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any

import typer

from shopscope.cli.assortment import FormatOpt, FromOpt, ToOpt, history_period
from shopscope.cli.insight import _date
from shopscope.cli.main import state
from shopscope.cli.output import Format, console, emit
from shopscope.errors import ConfigurationError, NotFoundError
from shopscope.warehouse.connection import connect

__all__ = ["register"]


def _clock(value: str, flag: str) -> int:
    try:
        t = time.fromisoformat(value)
    except ValueError:
        raise ConfigurationError(
            f"{flag} {value!r} is not a time; use HH:MM, e.g. 09:30."
        ) from None
    return t.hour * 3600 + t.minute * 60


def _depots(values: list[str], vehicles: int, capacity: int) -> list[Any]:
    from shopscope.supply.routing import DepotSpec

    out = []
    for v in values:
        parts = v.split(":")
        try:
            name, lat, lon = parts[0], float(parts[1]), float(parts[2])
        except (IndexError, ValueError):
            raise ConfigurationError(
                f"--depot {v!r}: use NAME:LAT:LON, e.g. london:51.5074:-0.1278."
            ) from None
        out.append(DepotSpec(name, lat, lon, vehicles, capacity))
    return out


def _windows(path: Path) -> dict[str, tuple[int, int]]:
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text))
    need = {"order_id", "start", "end"}
    if not need <= set(reader.fieldnames or []):
        raise ConfigurationError(
            f"{path}: a windows file needs columns order_id,start,end (HH:MM); found "
            f"{', '.join(reader.fieldnames or [])}."
        )
    return {
        r["order_id"]: (_clock(r["start"], f"{path} start"), _clock(r["end"], f"{path} end"))
        for r in reader
    }


def route(
    day: Annotated[
        str | None, typer.Option(help="Delivery day YYYY-MM-DD (default: last day of data).")
    ] = None,
    instance: Annotated[
        Path | None, typer.Option(help="Solve a VRPLIB .vrp or Solomon .txt file instead.")
    ] = None,
    depot: Annotated[
        list[str] | None, typer.Option(help="NAME:LAT:LON (repeatable; default: demo depots).")
    ] = None,
    vehicles: Annotated[int, typer.Option(help="Vehicles per depot.")] = 5,
    capacity: Annotated[int, typer.Option(help="Capacity per vehicle (units or kg).")] = 100,
    load: Annotated[str, typer.Option(help="Load unit: units or kg.")] = "units",
    shift: Annotated[str, typer.Option(help="Shift HH:MM-HH:MM.")] = "08:00-20:00",
    service_min: Annotated[float, typer.Option(help="Minutes per stop.")] = 4.0,
    road_factor: Annotated[float, typer.Option(help="Road distance / straight line.")] = 1.3,
    speed: Annotated[float, typer.Option(help="Average speed, km/h.")] = 30.0,
    windows: Annotated[
        Path | None, typer.Option(help="CSV order_id,start,end (HH:MM) delivery windows.")
    ] = None,
    matrix: Annotated[
        Path | None,
        typer.Option(help="CSV from_id,to_id,distance_m[,duration_s] road matrix."),
    ] = None,
    time_limit: Annotated[float, typer.Option(help="Solver seconds.")] = 10.0,
    seed: Annotated[int, typer.Option(help="Solver seed.")] = 0,
    manifest: Annotated[
        Path | None, typer.Option(help="Write the per-stop manifest CSV here.")
    ] = None,
    manifest_dir: Annotated[
        Path | None, typer.Option(help="Write one manifest CSV per vehicle into this folder.")
    ] = None,
    chart: Annotated[Path | None, typer.Option(help="Write a Plotly HTML chart here.")] = None,
    stops: Annotated[bool, typer.Option("--stops", help="Print stops, not routes.")] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """Plan delivery routes (PyVRP) for a day's orders, or solve a benchmark instance."""
    from shopscope.supply import routing as r

    if instance is not None:
        res = r.solve_instance(instance, time_limit=time_limit, seed=seed)
        row = {k: v for k, v in dataclasses.asdict(res).items() if k not in ("plan", "check")}
        row["violations"] = "; ".join(res.check.violations)
        if chart is not None:
            chart.write_text(
                r.route_figure(res.plan, r.read_instance(instance)).to_html(include_plotlyjs=True),
                encoding="utf-8",
            )
        if manifest is not None:
            _write_csv(manifest, r.manifest_rows(res.plan))
        emit([row], fmt, title=f"{res.instance}", document=res)
        return
    try:
        a, b = (time.fromisoformat(x) for x in shift.split("-"))
    except ValueError:
        raise ConfigurationError(f"--shift {shift!r}: use HH:MM-HH:MM, e.g. 08:00-20:00.") from None
    if load not in ("units", "kg"):
        raise ConfigurationError(f"--load {load!r}: use units or kg.")
    opts = r.DeliveryOptions(
        load="units" if load == "units" else "kg",
        shift_start=a,
        shift_end=b,
        service_minutes=service_min,
        road_factor=road_factor,
        speed_kmh=speed,
    )
    with connect(state.warehouse, read_only=True) as wh:
        the_day = _date(day, "--day") or _last_day(wh)
        specs = (
            _depots(depot, vehicles, capacity)
            if depot
            else list(r.demo_depots(wh, vehicles=vehicles, capacity=capacity))
        )
        mat = None
        if matrix is not None:
            import pyarrow.csv as pacsv

            mat = pacsv.read_csv(str(matrix))
        problem, missing, used = r.delivery_problem(
            wh,
            the_day,
            depots=specs,
            options=opts,
            windows=_windows(windows) if windows else None,
            matrix=mat,
        )
    result = r.solve_delivery(
        problem, missing, used, load=opts.load, time_limit=time_limit, seed=seed
    )
    plan = result.plan
    for w in plan.warnings:
        console.print(f"[yellow]warning:[/yellow] {w}")
    console.print(
        f"{plan.stops} stops, {plan.vehicles_used}/{plan.vehicles_available} vehicles, "
        f"{plan.total_distance:,.1f} km, on time {plan.on_time_share:.1%}, "
        f"feasible {plan.feasible}"
    )
    rows = result.manifest()
    if manifest is not None:
        _write_csv(manifest, rows)
    if manifest_dir is not None:
        manifest_dir.mkdir(parents=True, exist_ok=True)
        for v in plan.routes:
            mine = [row for row in rows if row["vehicle"] == v.vehicle]
            _write_csv(manifest_dir / f"{the_day}-{v.vehicle}.csv", mine)
    if chart is not None:
        chart.write_text(
            r.route_figure(plan, problem).to_html(include_plotlyjs=True), encoding="utf-8"
        )
    if stops:
        emit(rows, fmt, title=f"Manifest {the_day}", document=result)
        return
    summary = result.vehicles()
    emit(summary, fmt, title=f"Routes {the_day}", document=result)


def _last_day(wh: Any) -> date:
    from shopscope.insight.periods import data_range

    found = data_range(wh)
    if found is None:
        raise NotFoundError("The warehouse has no orders; give --day or load data first.")
    return found.end


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        if not rows:
            return
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    console.print(f"wrote {len(rows)} rows to {path}")


def pick(
    day: Annotated[
        str | None, typer.Option(help="Pick day YYYY-MM-DD (default: last day of data).")
    ] = None,
    start: FromOpt = None,
    end: ToOpt = None,
    slots: Annotated[
        bool, typer.Option("--slotting", help="Show slotting suggestions, not pick lists.")
    ] = False,
    max_orders: Annotated[int, typer.Option(help="Orders per cart.")] = 8,
    max_units: Annotated[int, typer.Option(help="Units per cart.")] = 60,
    aisles: Annotated[int, typer.Option(help="Aisles in the picking area.")] = 10,
    bays: Annotated[int, typer.Option(help="Bays per aisle side.")] = 20,
    levels: Annotated[int, typer.Option(help="Shelf levels.")] = 4,
    fmt: FormatOpt = Format.table,
) -> None:
    """Pick lists: orders batched per cart with an S-shape path (or slotting suggestions)."""
    from shopscope.supply.warehousing import Layout, pick_plan, slotting

    layout = Layout(aisles=aisles, bays=bays, levels=levels)
    with connect(state.warehouse, read_only=True) as wh:
        plan = slotting(wh, history_period(wh, start, end), layout=layout)
        console.print(
            f"slotting: {plan.cost_per_pick_m:.1f} m per pick (code-order baseline "
            f"{plan.baseline_cost_per_pick_m:.1f} m); {len(plan.overflow)} SKUs without a slot"
        )
        if slots:
            emit(plan.items.to_pylist(), fmt, title="Slotting suggestions", document=plan)
            return
        the_day = _date(day, "--day") or _last_day(wh)
        picks = pick_plan(wh, the_day, plan, max_orders=max_orders, max_units=max_units)
    console.print(
        f"{picks.orders} orders, {picks.lines} lines in {len(picks.batches)} batches: "
        f"{picks.distance_m:,.0f} m walked (order by order: {picks.single_order_distance_m:,.0f} m)"
    )
    emit(picks.pick_list(), fmt, title=f"Pick lists {the_day}", document=picks)


def register(app: typer.Typer) -> None:
    """Add ``route`` and ``pick`` to ``app``."""
    app.command()(route)
    app.command()(pick)
