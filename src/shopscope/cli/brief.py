"""``shopscope brief``: the day's items for each tier and role, grouped for the terminal."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from shopscope.cli.main import state
from shopscope.cli.output import Format, emit
from shopscope.errors import ConfigurationError
from shopscope.warehouse.connection import connect

if TYPE_CHECKING:
    from shopscope.team.brief import Brief, BriefItem
    from shopscope.team.roles import RoleModel

__all__ = ["register"]

_PRIORITY_ZH = {"high": "高", "medium": "中", "low": "低"}


def brief(
    as_of: Annotated[
        str | None, typer.Option(help="Day of the brief, YYYY-MM-DD (default: last day of data).")
    ] = None,
    tier: Annotated[str | None, typer.Option(help="Only this tier's items.")] = None,
    role: Annotated[str | None, typer.Option(help="Only this role's items.")] = None,
    rules: Annotated[
        Path | None, typer.Option(help="TOML rules file replacing the packaged rules.")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Language of texts: en or zh.")] = "en",
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.table,
) -> None:
    """The daily brief: findings turned into items for each tier and role, with evidence."""
    from shopscope.cli.insight import _date
    from shopscope.cli.team import _lang
    from shopscope.team.brief import build_brief, load_rules
    from shopscope.team.roles import role_model

    lang = _lang(lang)
    model = role_model()
    if tier is not None and tier not in model.tiers:
        raise ConfigurationError(f"--tier {tier}: use one of {', '.join(model.tiers)}.")
    if role is not None:
        model.role(role)  # an unknown role is an error that lists the roles
    day = _date(as_of, "--as-of")
    chosen = load_rules(rules) if rules is not None else None
    with connect(state.warehouse, read_only=True) as wh:
        result = build_brief(wh, day, chosen)
    items = tuple(
        i
        for i in result.items
        if (tier is None or i.tier == tier) and (role is None or i.role == role)
    )
    shown = dataclasses.replace(result, items=items)
    for s in result.skipped:
        typer.echo(f"Skipped rule {s.rule}: {s.reason}", err=True)
    if fmt is Format.table:
        _print_grouped(shown, model, lang)
        return
    rows = [
        {
            "tier": i.tier,
            "role": i.role,
            "priority": i.priority,
            "due": i.due,
            "item": i.title(lang),
            "link": i.link,
        }
        for i in items
    ]
    emit(rows, fmt, title=f"Brief for {result.as_of}: {len(rows)} items", document=shown)


def _print_grouped(result: Brief, model: RoleModel, lang: str) -> None:
    """One heading per tier and role, then priority, due date, item and its link on a line below."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    out = Console()
    zh = lang == "zh"
    groups: dict[tuple[str, str], list[BriefItem]] = {}
    for item in result.items:  # already by tier, then priority, then due date
        groups.setdefault((item.tier, item.role), []).append(item)
    per_tier = Counter(item.tier for item in result.items)
    counts = " · ".join(f"{_tier_name(model, t, zh)} {n}" for t, n in per_tier.items())
    total = len(result.items)
    if zh:
        heading = f"{result.as_of} 简报：{total} 项" + (f"（{counts}）" if counts else "")
    else:
        heading = f"Brief for {result.as_of}: {total} items" + (f" ({counts})" if counts else "")
    out.print(Text(heading, style="bold"))
    for (tier_key, role_key), members in groups.items():
        role = model.roles.get(role_key)
        name = role.name(lang) if role is not None else role_key
        out.print()
        out.print(Text(f"{_tier_name(model, tier_key, zh)} · {name} ({role_key})", style="bold"))
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True, min_width=2 if zh else 6)  # aligned across the groups
        grid.add_column(no_wrap=True)
        grid.add_column(overflow="fold", ratio=1)
        for item in members:
            priority = _PRIORITY_ZH[item.priority] if zh else item.priority
            text = Text(item.title(lang))
            text.append(f"\n{item.link}", style="dim")
            grid.add_row(priority, item.due.isoformat(), text)
        out.print(grid)


def _tier_name(model: RoleModel, key: str, zh: bool) -> str:
    tier = model.tiers.get(key)
    if tier is None:
        return key
    return tier.name_zh if zh else tier.name_en


def register(app: typer.Typer) -> None:
    """Add ``shopscope brief``."""
    app.command("brief")(brief)
