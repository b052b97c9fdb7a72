"""Orchestration of the demo store: calibrate, then stream chunk by chunk into the warehouse.

The run is a pure function of ``(size, seed, end_date, days)``: every random stream is a
``SeedSequence(seed, spawn_key=(domain, chunk))``, so the output does not depend on anything
else. Customers are generated in chunks (arrival order) and each chunk's customers, orders,
order lines, events and tickets are written before the next chunk is drawn, which keeps memory
bounded for ten million order lines. All writes happen in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import duckdb
import numpy as np
import pyarrow as pa

from shopscope.errors import InvalidInputError
from shopscope.warehouse.connection import Warehouse
from shopscope.warehouse.demo.catalog import Catalog, build_catalog
from shopscope.warehouse.demo.customers import build_schedule, customer_chunk
from shopscope.warehouse.demo.events import EventCounters, build_events
from shopscope.warehouse.demo.inventory import DemandLedger, inventory_tables
from shopscope.warehouse.demo.marketing import build_paid_plan
from shopscope.warehouse.demo.orders import build_orders
from shopscope.warehouse.demo.params import DemoParams, experiment_id_for, resolve_size
from shopscope.warehouse.demo.planted import (
    Planted,
    plant_demand_drop,
    plant_roas_drop,
    plant_vip_at_risk,
)
from shopscope.warehouse.demo.purchases import simulate_purchases
from shopscope.warehouse.demo.support import TicketCounter, build_tickets
from shopscope.warehouse.demo.targets import write_demo_targets
from shopscope.warehouse.demo.timeline import Timeline, build_timeline
from shopscope.warehouse.demo.truth import RunFacts, truth_table

__all__ = ["DEMO_TABLES", "DemoSummary", "generate_demo"]

log = logging.getLogger(__name__)

DEMO_TABLES = (
    "customers", "products", "orders", "order_items", "events", "ad_spend", "inventory",
    "tickets", "demo_truth",
)  # fmt: skip
_PILOT_CUSTOMERS = 6_000
_MIN_DAYS = 30
_MAX_DAYS = 3_660

# Random-stream domains (first element of the SeedSequence spawn key).
_CATALOG, _PAID, _SCHEDULE, _PILOT, _PRODUCTS, _INVENTORY = 1, 2, 3, 4, 5, 6
_CUSTOMERS, _PURCHASES, _ORDERS, _EVENTS, _TICKETS = 10, 11, 12, 13, 14


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo` wrote.

    Attributes
    ----------
    size:
        Preset name (``"small"``, ``"medium"``, ``"large"``) or ``"custom"``.
    target_lines:
        The order-line target the run was calibrated to.
    seed:
        The seed used.
    start_date, end_date:
        First and last day of the history (UTC, inclusive).
    counts:
        Rows written per table (the eight canonical tables and ``demo_truth``).
    seconds:
        Wall-clock time of the run.
    """

    size: str
    target_lines: int
    seed: int
    start_date: dt.date
    end_date: dt.date
    counts: Mapping[str, int]
    seconds: float

    @property
    def order_lines(self) -> int:
        """Rows written to ``order_items``."""
        return self.counts.get("order_items", 0)


def _rng(seed: int, domain: int, index: int = 0) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(domain, index)))


class _Writer:
    """Appends Arrow tables to warehouse tables through a registered view."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.counts: dict[str, int] = dict.fromkeys(DEMO_TABLES, 0)

    def write(self, name: str, data: pa.Table) -> None:
        if data.num_rows == 0:
            return
        view = "_shopscope_demo_chunk"
        cols = ", ".join(data.column_names)
        self.con.register(view, data)
        try:
            self.con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {view}")
        finally:
            self.con.unregister(view)
        self.counts[name] += data.num_rows

    def recount(self, names: tuple[str, ...]) -> None:
        """Count ``names`` again after rows were removed."""
        for name in names:
            row = self.con.execute(f"SELECT count(*) FROM {name}").fetchone()
            self.counts[name] = int(row[0]) if row else 0


def _validate(seed: int, end_date: dt.date | None, days: int | None) -> tuple[dt.date, int]:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInputError(f"Invalid seed {seed!r}: use a non-negative integer, e.g. 42.")
    if end_date is None:
        end = dt.datetime.now(dt.UTC).date()
    elif isinstance(end_date, dt.datetime):
        end = end_date.date()
    elif isinstance(end_date, dt.date):
        end = end_date
    else:
        raise InvalidInputError(f"Invalid end_date {end_date!r}: use a datetime.date.")
    n_days = 730 if days is None else days
    if (
        isinstance(n_days, bool)
        or not isinstance(n_days, int)
        or not (_MIN_DAYS <= n_days <= _MAX_DAYS)
    ):
        raise InvalidInputError(
            f"Invalid days {days!r}: use an integer between {_MIN_DAYS} and {_MAX_DAYS} "
            "(the default is 730, two years)."
        )
    return end, n_days


def generate_demo(
    wh: Warehouse,
    *,
    size: str | int = "small",
    seed: int = 42,
    end_date: dt.date | None = None,
    days: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Replace the warehouse contents with a synthetic gift shop with known ground truth.

    Parameters
    ----------
    wh:
        An open DuckDB warehouse. The canonical tables and ``demo_truth`` are emptied and
        refilled in one transaction; on error the warehouse is left as it was.
    size:
        ``"small"`` (about 30 thousand order lines), ``"medium"`` (1 million), ``"large"``
        (10 million) or an integer number of order lines (at least 1000).
    seed:
        Seed of every random stream; the same ``(size, seed, end_date, days)`` gives identical
        tables.
    end_date:
        Last day of the history (default: today, UTC).
    days:
        Length of the history in days (default 730).
    progress:
        Called as ``progress(order_lines_done, target_lines)`` after each chunk
        (``order_lines_done`` may end slightly above the target).

    Returns
    -------
    DemoSummary
        Row counts per table, dates and timing.

    Raises
    ------
    InvalidInputError
        For an unknown size, a negative seed or a history length out of range.
    """
    started = time.perf_counter()
    preset = resolve_size(size)
    end, n_days = _validate(seed, end_date, days)
    params = DemoParams()
    timeline = build_timeline(end, n_days, params.seasonality)
    window_first = max(0, n_days - params.funnel.window_days)
    exp_first = max(0, n_days - min(params.experiment.duration_days, n_days // 2))
    experiment_id = experiment_id_for(
        timeline.start + dt.timedelta(days=exp_first), params.experiment
    )
    catalog = build_catalog(_rng(seed, _CATALOG), preset.n_products, params.orders.zipf_exponent)

    lines_pc, events_pc = _pilot(
        seed, timeline, params, catalog, window_first, exp_first, experiment_id
    )
    n_customers = preset.target_lines / lines_pc
    sample_fraction = float(min(1.0, preset.event_budget / max(events_pc * n_customers, 1.0)))
    plan = build_paid_plan(_rng(seed, _PAID), timeline, params.acquisition, n_customers)
    planted = Planted()
    schedule = build_schedule(
        _rng(seed, _SCHEDULE), timeline, params.acquisition, n_customers, plan
    )
    log.info(
        "demo %s: %d customers, %d products, events sample %.3f",
        preset.name, schedule.n, catalog.n, sample_fraction,
    )  # fmt: skip
    facts = RunFacts(
        preset.name, int(seed), preset.target_lines, n_customers, lines_pc, sample_fraction,
        window_first, exp_first, experiment_id,
    )  # fmt: skip

    wh.init_schema()
    con = wh.duckdb
    writer = _Writer(con)
    con.execute("BEGIN TRANSACTION")
    try:
        # The shop's data is replaced wholesale, so earlier ingest batches and their quarantine
        # no longer describe it (and a stale file hash would make a re-ingest skip).
        for name in (*DEMO_TABLES, "quarantine", "ingest_log"):
            con.execute(f"DELETE FROM {name}")
        writer.write(
            "products", catalog.products_table(_rng(seed, _PRODUCTS), params.orders.shipping_gb)
        )
        spent, planted.roas_channel = plant_roas_drop(plan, params.planted)
        planted.roas_controls = tuple(
            c.channel for c in plan.curves if c.channel != planted.roas_channel
        )
        writer.write("ad_spend", spent.ad_spend_table(timeline))
        ledger = DemandLedger.empty(catalog.n, n_days)
        day_counter = np.zeros(n_days, dtype=np.int64)
        ev_counter, ticket_counter = EventCounters(), TicketCounter()
        for k, first in enumerate(range(0, schedule.n, preset.chunk_customers)):
            stop = min(first + preset.chunk_customers, schedule.n)
            cust = customer_chunk(
                _rng(seed, _CUSTOMERS, k), schedule, first, stop, timeline, params.depots,
                params.acquisition, sample_fraction,
            )  # fmt: skip
            offset = np.array([8 if d.country == "CN" else 0 for d in params.depots])
            purchases = simulate_purchases(
                _rng(seed, _PURCHASES, k), timeline, cust.tau0, cust.first_us,
                offset[cust.depot], params.bgnbd, params.spend,
            )  # fmt: skip
            orders = build_orders(
                _rng(seed, _ORDERS, k), cust, purchases, catalog, timeline, params, day_counter,
                exp_first,
            )  # fmt: skip
            events = build_events(
                _rng(seed, _EVENTS, k), cust, orders, catalog, timeline, params,
                window_first_day=window_first, experiment_first_day=exp_first,
                experiment_id=experiment_id, sample_fraction=sample_fraction, counters=ev_counter,
            )  # fmt: skip
            tickets = build_tickets(
                _rng(seed, _TICKETS, k), cust, orders, catalog, timeline, params, ticket_counter
            )
            writer.write("customers", cust.table(params.depots))
            writer.write("orders", orders.orders)
            writer.write("order_items", orders.items)
            writer.write("events", events)
            writer.write("tickets", tickets)
            ledger.add(orders, timeline, params)
            log.debug("demo chunk %d: customers %d..%d", k, first, stop)
            if progress is not None:
                progress(writer.counts["order_items"], preset.target_lines)
        stock: dict[str, str] = {}
        for table in inventory_tables(
            _rng(seed, _INVENTORY), ledger, catalog, timeline, planted=params.planted, record=stock
        ):
            writer.write("inventory", table)
        planted.stock_at_risk, planted.stock_control = stock.get("at_risk"), stock.get("control")
        vips = plant_vip_at_risk(con, n_days, params.planted)
        if vips is not None:
            planted.vip, planted.vip_control = vips
            writer.recount(("orders", "order_items", "events", "tickets"))
        drop = plant_demand_drop(
            con, n_days, params.planted, (planted.stock_at_risk, planted.stock_control)
        )
        if drop is not None:
            planted.demand_drop, planted.demand_control = drop
            writer.recount(("orders", "order_items", "events", "tickets"))
        truth = truth_table(params, timeline, spent, catalog, facts, planted)
        writer.write("demo_truth", truth)
        write_demo_targets(wh, writer.write, plan, timeline, planted.roas_channel, params.planted)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    seconds = time.perf_counter() - started
    log.info("demo %s written in %.1f s: %s", preset.name, seconds, writer.counts)
    return DemoSummary(
        size=preset.name,
        target_lines=preset.target_lines,
        seed=int(seed),
        start_date=timeline.start,
        end_date=timeline.end,
        counts=MappingProxyType(dict(writer.counts)),
        seconds=seconds,
    )


def _pilot(
    seed: int,
    timeline: Timeline,
    params: DemoParams,
    catalog: Catalog,
    window_first: int,
    exp_first: int,
    experiment_id: str,
) -> tuple[float, float]:
    """Order lines and events per customer, measured on a small pilot store."""
    rng = _rng(seed, _PILOT)
    n = float(_PILOT_CUSTOMERS)
    plan = build_paid_plan(rng, timeline, params.acquisition, n)
    schedule = build_schedule(rng, timeline, params.acquisition, n, plan)
    cust = customer_chunk(
        rng, schedule, 0, schedule.n, timeline, params.depots, params.acquisition, 1.0
    )
    offset = np.array([8 if d.country == "CN" else 0 for d in params.depots])
    purchases = simulate_purchases(
        rng, timeline, cust.tau0, cust.first_us, offset[cust.depot], params.bgnbd, params.spend
    )
    orders = build_orders(
        rng, cust, purchases, catalog, timeline, params, np.zeros(timeline.days, np.int64),
        exp_first,
    )  # fmt: skip
    events = build_events(
        rng, cust, orders, catalog, timeline, params, window_first_day=window_first,
        experiment_first_day=exp_first, experiment_id=experiment_id, sample_fraction=1.0,
        counters=EventCounters(),
    )  # fmt: skip
    return orders.items.num_rows / max(cust.n, 1), events.num_rows / max(cust.n, 1)
