"""Entry point: global options, error handling, and the command groups of each domain.

Data goes to stdout, messages to stderr. A :class:`~shopscope.errors.ShopscopeError` prints
``Error: <message>`` and exits 1; usage errors exit 2; ``--debug`` shows the traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
import warnings
from dataclasses import dataclass
from typing import Annotated

import typer

from shopscope.errors import ShopscopeError

__all__ = ["State", "app", "main", "state"]

app = typer.Typer(
    name="shopscope",
    help="shopscope: e-commerce operations platform. Data to stdout, messages to stderr.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@dataclass
class State:
    """Options shared by every command."""

    warehouse: str | None = None
    debug: bool = False


state = State()


@app.callback()
def _root(
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse",
            "-w",
            envvar="SHOPSCOPE_WAREHOUSE",
            help="Warehouse URL: duckdb:///path.duckdb (default ./shopscope-data/warehouse.duckdb)"
            " or spark:///dir.",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and debug logs.")] = False,
) -> None:
    state.warehouse = warehouse
    state.debug = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


_COMMAND_MODULES = (
    "data",
    "insight",
    "conversion",
    "acquisition",
    "retention",
    "supply",
    "assortment",
    "logistics",
    "storefront",
    "assist",
    "server",
    "team",
    "brief",
    "tasks",
    "targets",
)


def _register() -> None:
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"shopscope.cli.{name}")
        module.register(app)


def main() -> None:
    """Run the CLI (the ``shopscope`` console script)."""
    warnings.filterwarnings("ignore", message="fetch_.*is deprecated", category=DeprecationWarning)
    _register()
    try:
        app()  # standalone mode: usage errors print and exit 2
    except ShopscopeError as exc:
        if state.debug:
            raise
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("Aborted.", err=True)
        sys.exit(130)
    except Exception as exc:
        if state.debug:
            raise
        typer.echo(
            f"Error: unexpected {type(exc).__name__}: {exc}. This is a bug; rerun with --debug "
            "for the traceback and report it.",
            err=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
