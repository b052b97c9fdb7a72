"""Team commands: ``shopscope team roles|questions|assess|map|audit-catalog``."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Annotated, Any

import typer

from shopscope.cli.main import state
from shopscope.cli.output import Format, emit
from shopscope.errors import ConfigurationError, InvalidInputError
from shopscope.warehouse.connection import connect

__all__ = ["register"]

FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of texts: en or zh.")]

team_app = typer.Typer(
    help="Team: roles, positioning assessment, team map, catalog audit.", no_args_is_help=True
)


def _lang(lang: str) -> str:
    if lang not in ("en", "zh"):
        raise ConfigurationError(f"--lang {lang}: use en or zh.")
    return lang


def _read_mapping(path: Path, what: str) -> dict[str, Any]:
    """A TOML or JSON file as a dict, with a clear error naming the file."""
    try:
        text = path.read_text("utf-8")
    except OSError as exc:
        raise InvalidInputError(f"Cannot read {what} file {path}: {exc.strerror}.") from exc
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInputError(f"{path} is not valid {path.suffix[1:] or 'TOML'}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidInputError(f"{path} must hold a table/object at the top level.")
    return data


@team_app.command("roles")
def roles(lang: LangOpt = "en", fmt: FormatOpt = Format.table) -> None:
    """The roles of the role model: tier, business dimensions, name and description."""
    from shopscope.team.roles import role_model

    zh = _lang(lang) == "zh"
    rows = [
        {
            "role": r.key,
            "tier": r.tier,
            "dimensions": ", ".join(r.dimensions),
            "name": r.name_zh if zh else r.name_en,
            "description": r.description_zh if zh else r.description_en,
        }
        for r in role_model().roles.values()
    ]
    emit(rows, fmt, title="Roles")


@team_app.command("questions")
def questions(lang: LangOpt = "en", fmt: FormatOpt = Format.table) -> None:
    """The positioning questionnaire: question ids to answer 0..4 in an answers file."""
    from shopscope.team.positioning import questionnaire

    form = questionnaire()
    zh = _lang(lang) == "zh"
    scale = form.scale_zh if zh else form.scale_en
    rows = [
        {"id": q.id, "axis": q.axis, "question": q.text_zh if zh else q.text_en}
        for q in form.questions
    ]
    emit(rows, fmt, title="Answer 0..4: " + ", ".join(f"{i} {s}" for i, s in enumerate(scale)))


def _prompt_answers(lang: str) -> dict[str, int]:
    from shopscope.team.positioning import questionnaire

    form = questionnaire()
    scale = form.scale_zh if lang == "zh" else form.scale_en
    typer.echo("  ".join(f"{i} = {s}" for i, s in enumerate(scale)), err=True)
    out = {}
    for q in form.questions:
        text = q.text_zh if lang == "zh" else q.text_en
        while (value := int(typer.prompt(text, type=int, err=True))) not in range(5):
            typer.echo("Answer 0..4.", err=True)
        out[q.id] = value
    return out


@team_app.command("assess")
def assess_cmd(
    answers: Annotated[
        Path | None,
        typer.Option(help="TOML/JSON file of question id = 0..4 (see `team questions`). "
                     "Without it, the questions are asked interactively."),
    ] = None,
    chart: Annotated[
        Path | None, typer.Option(help="Also write the radar chart as an HTML file.")
    ] = None,
    lang: LangOpt = "en",
    fmt: FormatOpt = Format.table,
) -> None:  # fmt: skip
    """Place a person on the three axes, estimate tier readiness and the path to the next tier."""
    from shopscope.team.positioning import assess, radar_figure

    lang = _lang(lang)
    if answers is not None:
        given = _read_mapping(answers, "answers")
    elif sys.stdin.isatty():
        given = _prompt_answers(lang)
    else:
        raise InvalidInputError("Pass --answers FILE (see `shopscope team questions`).")
    position = assess(given)
    if chart is not None:
        radar_figure(position, lang).write_html(chart, include_plotlyjs=True, full_html=True)
        typer.echo(f"Wrote {chart}.", err=True)
    zh = lang == "zh"
    rows: list[dict[str, Any]] = [
        {"item": k, "value": round(v, 1)} for k, v in position.business.items()
    ]
    rows += [
        {"item": "technology", "value": round(position.technology, 1)},
        {"item": "technology_level", "value": position.technology_level},
        *({"item": k, "value": round(v, 1)} for k, v in position.mindset.items()),
        *({"item": f"readiness_{k}", "value": round(v, 1)} for k, v in position.readiness.items()),
        {"item": "tier", "value": position.tier},
        {"item": "next_tier", "value": position.next_tier or "-"},
        *(
            {"item": f"path:{s.component}", "value": (s.skill_zh if zh else s.skill_en)
             + " (" + ", ".join(s.modules) + ")"}
            for s in position.path
        ),
    ]  # fmt: skip
    emit(rows, fmt, title="Position", document=position)


@team_app.command("map")
def map_cmd(
    members: Annotated[
        Path,
        typer.Option(help="TOML file: [[members]] name, role, and optionally answers = {...}."),
    ],
    fmt: FormatOpt = Format.table,
) -> None:
    """Coverage of tiers × business dimensions, gaps, single points of failure, technology mix."""
    from shopscope.team.positioning import DIMENSIONS, assess
    from shopscope.team.teammap import Member, team_map

    data = _read_mapping(members, "members")
    entries = data.get("members")
    if not isinstance(entries, list) or not entries:
        raise InvalidInputError(f"{members} needs at least one [[members]] entry.")
    people = []
    for i, m in enumerate(entries, start=1):
        if not isinstance(m, dict) or "name" not in m or "role" not in m:
            raise InvalidInputError(f"Member {i} in {members} needs a name and a role.")
        answers = m.get("answers")
        people.append(Member(str(m["name"]), str(m["role"]), assess(answers) if answers else None))
    result = team_map(people)
    rows = [
        {"tier": tier, **{d: ", ".join(result.coverage[tier][d]) or "-" for d in DIMENSIONS}}
        for tier in result.coverage
    ]
    title = (
        f"Team map: gaps {', '.join(result.gaps) or 'none'}; single points "
        f"{len(result.single_points)}; technology {result.technology_mix}"
    )
    emit(rows, fmt, title=title, document=result)


@team_app.command("audit-catalog")
def audit_catalog_cmd(
    min_description: Annotated[int, typer.Option(help="Shortest acceptable description.")] = 80,
    min_searches: Annotated[
        int, typer.Option(help="Searches a term needs to count as converting.")
    ] = 20,
    fmt: FormatOpt = Format.table,
) -> None:
    """Listing problems for content editors: descriptions, images, titles, prices, search terms."""
    from shopscope.team.catalog_audit import audit_catalog

    with connect(state.warehouse, read_only=True) as wh:
        audit = audit_catalog(wh, min_description=min_description, min_searches=min_searches)
    rows = [
        {"sku": i.sku, "title": i.title, "category": i.category, "problem": i.code, "fix": i.fix}
        for i in audit.issues
    ]
    counts = ", ".join(f"{k} {v}" for k, v in audit.counts().items() if v)
    emit(
        rows,
        fmt,
        title=f"{len(rows)} issues in {audit.products} products ({counts or 'none'})",
        document=audit,
    )


def register(app: typer.Typer) -> None:
    """Add ``shopscope team``."""
    app.add_typer(team_app, name="team")
