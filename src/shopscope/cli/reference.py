"""The CLI reference (``docs/reference/cli.md``), generated from the command definitions."""

from __future__ import annotations

from enum import Enum
from typing import Any

import typer
import typer.main

__all__ = ["cli_reference_markdown"]


def _default(param: Any) -> str:
    value = param.default
    if value is None or param.required:
        return ""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"`{value}`"


def _rows(params: list[Any]) -> list[str]:
    rows = []
    for p in params:
        if p.hidden or p.name == "help":
            continue
        names = ", ".join(f"`{o}`" for o in [*p.opts, *p.secondary_opts])
        if type(p).__name__ == "TyperArgument":
            names = f"`{p.name.upper()}` (argument)"
        env = f" (env `{p.envvar}`)" if getattr(p, "envvar", None) else ""
        help_text = (p.help or "").replace("|", "\\|")
        rows.append(f"| {names} | {help_text}{env} | {_default(p)} |")
    return rows


def cli_reference_markdown(app: typer.Typer | Any) -> str:
    """Markdown for every command: summary, arguments and options with defaults.

    ``app`` is the Typer app, or the click group it was turned into (``ctx.find_root().command``).
    """
    group = typer.main.get_command(app) if isinstance(app, typer.Typer) else app
    out = [
        "# CLI reference",
        "",
        "<!-- Generated from the CLI by `shopscope docs`. Do not edit by hand: tests fail when "
        "this file is stale. -->",
        "",
        "`shopscope [GLOBAL OPTIONS] COMMAND [OPTIONS]`. Data goes to stdout, messages to stderr; "
        "exit 1 on a domain error, 2 on a usage error.",
        "",
        "## Global options",
        "",
        "| option | meaning | default |",
        "|---|---|---|",
        *_rows(list(group.params)),
        "",
    ]
    commands: dict[str, Any] = getattr(group, "commands", {})
    for name in sorted(commands):
        command = commands[name]
        out += [f"## `shopscope {name}`", "", (command.help or "").strip(), ""]
        rows = _rows(list(command.params))
        if rows:
            out += ["| option | meaning | default |", "|---|---|---|", *rows, ""]
    return "\n".join(out)
