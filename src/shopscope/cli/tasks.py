"""Task inbox commands: ``shopscope tasks sync|list|show|set-status|assign|comment``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from shopscope.cli.main import state
from shopscope.cli.output import Format, emit

if TYPE_CHECKING:
    from shopscope.appdb import AppDB
    from shopscope.team.tasks import TaskView

__all__ = ["register"]

tasks_app = typer.Typer(
    help="Task inbox: brief items as tasks with a workflow, assignment and comments.",
    no_args_is_help=True,
)
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
AppdbOpt = Annotated[
    str | None,
    typer.Option(
        "--appdb",
        envvar="SHOPSCOPE_APPDB",
        help="Application database URL (default: app.sqlite3 next to the warehouse).",
    ),
]
TaskId = Annotated[int, typer.Argument(help="Task id (see `shopscope tasks list`).")]
ByOpt = Annotated[str | None, typer.Option("--by", help="Username acting (recorded).")]


def _open(appdb: str | None) -> AppDB:
    from shopscope.appdb import open_appdb
    from shopscope.settings import default_warehouse_url
    from shopscope.team import role_model

    return open_appdb(
        appdb,
        warehouse_url=state.warehouse or default_warehouse_url(),
        roles=role_model().role_tiers(),
    )


def _row(v: TaskView) -> dict[str, Any]:
    return {
        "id": v.id,
        "status": v.status,
        "priority": v.priority,
        "due": v.due.date() if v.due else None,
        "role": v.role,
        "assignee": v.assignee,
        "title": v.title,
    }


@tasks_app.command("sync")
def sync(
    as_of: Annotated[
        str | None, typer.Option(help="Day of the brief, YYYY-MM-DD (default: last day of data).")
    ] = None,
    webhook: Annotated[
        str | None,
        typer.Option(envvar="SHOPSCOPE_WEBHOOK_URL", help="POST each new task to this URL."),
    ] = None,
    smtp_host: Annotated[
        str | None, typer.Option(envvar="SHOPSCOPE_SMTP_HOST", help="E-mail new tasks via SMTP.")
    ] = None,
    smtp_port: Annotated[int, typer.Option(envvar="SHOPSCOPE_SMTP_PORT")] = 587,
    smtp_sender: Annotated[
        str, typer.Option(envvar="SHOPSCOPE_SMTP_SENDER")
    ] = "shopscope@localhost",
    smtp_security: Annotated[
        str, typer.Option(envvar="SHOPSCOPE_SMTP_SECURITY", help="starttls, ssl or none.")
    ] = "starttls",
    appdb: AppdbOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Run today's brief and turn its items into tasks (dismissed items stay dismissed)."""
    from shopscope.cli.insight import _date
    from shopscope.team.brief import build_brief
    from shopscope.team.notify import SmtpSettings
    from shopscope.team.task_notify import Notifier
    from shopscope.team.tasks import sync_brief
    from shopscope.warehouse.connection import connect

    day = _date(as_of, "--as-of")
    with connect(state.warehouse, read_only=True) as wh:
        brief = build_brief(wh, day)
    notifier = None
    if webhook or smtp_host:
        smtp = None
        if smtp_host:
            settings = {"host": smtp_host, "port": smtp_port, "sender": smtp_sender}
            smtp = SmtpSettings.model_validate(settings | {"security": smtp_security})
        notifier = Notifier(smtp=smtp, webhook_url=webhook)
    db = _open(appdb)
    try:
        result = sync_brief(db, brief, notifier=notifier)
    finally:
        db.close()
    rows = [
        {"created": len(result.created), "updated": len(result.updated),
         "suppressed": len(result.suppressed), "undelivered": result.undelivered}
    ]  # fmt: skip
    for s in brief.skipped:
        typer.echo(f"Skipped rule {s.rule}: {s.reason}", err=True)
    emit(rows, fmt, title=f"Tasks from the brief of {brief.as_of}", document=result)


@tasks_app.command("list")
def list_(
    status: Annotated[
        str, typer.Option(help="active, open, in_progress, done, dismissed or all.")
    ] = "active",
    role: Annotated[str | None, typer.Option(help="Only this role's tasks.")] = None,
    user: Annotated[str | None, typer.Option(help="Only this user's inbox.")] = None,
    appdb: AppdbOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Tasks, by due date and priority."""
    from shopscope.appdb import accounts
    from shopscope.team.tasks import list_inbox, task_view

    db = _open(appdb)
    try:
        with db.session() as s:
            who = accounts.get_user(s, user) if user else None
            tasks = list_inbox(
                s, user=who, role_key=role, status=None if status == "all" else status
            )
            views = [task_view(s, t) for t in tasks]
    finally:
        db.close()
    _emit_tasks(views, fmt, title=f"{len(views)} tasks", document=views)


def _act(appdb: str | None, fmt: Format, action: Any) -> None:
    from shopscope.team.tasks import task_view

    db = _open(appdb)
    try:
        with db.session() as s:
            task = action(s)
            view = task_view(s, task, comments=True)
    finally:
        db.close()
    _emit_tasks([view], fmt, title=f"Task {view.id}", document=view)


def _emit_tasks(views: list[TaskView], fmt: Format, *, title: str, document: Any) -> None:
    """Tables for tools; on the terminal one block per task, its title whole at 80 columns."""
    if fmt is not Format.table:
        emit([_row(v) for v in views], fmt, title=title, document=document)
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True, justify="right")
    grid.add_column(overflow="fold", ratio=1)
    for v in views:
        due = f"due {v.due.date()}" if v.due else "no due date"
        owner = " → ".join(x for x in (v.role, v.assignee) if x) or "unassigned"
        text = Text(f"{v.status} · {v.priority} · {due} · {owner}", style="bold")
        text.append(f"\n{v.title}", style="")
        if v.dismissed_reason:
            text.append(f"\ndismissed: {v.dismissed_reason}")
        if v.link:
            text.append(f"\n{v.link}", style="dim")
        for c in v.comments:
            when = c.created_at.isoformat(sep=" ", timespec="minutes")
            text.append(f"\n{c.author or 'system'} at {when}: {c.body}", style="italic")
        grid.add_row(f"#{v.id}", text)
    out = Console()
    out.print(Text(title, style="bold"))
    out.print(grid)


def _user(s: Any, username: str | None) -> Any:
    from shopscope.appdb import accounts

    return accounts.get_user(s, username) if username else None


@tasks_app.command("show")
def show(task_id: TaskId, appdb: AppdbOpt = None, fmt: FormatOpt = Format.json) -> None:
    """One task with its evidence and comments."""
    from shopscope.team.tasks import get_task

    _act(appdb, fmt, lambda s: get_task(s, task_id))


@tasks_app.command("set-status")
def set_status(
    task_id: TaskId,
    status: Annotated[str, typer.Argument(help="open, in_progress, done or dismissed.")],
    reason: Annotated[
        str | None, typer.Option(help="Why it is dismissed (required for dismissed).")
    ] = None,
    by: ByOpt = None,
    appdb: AppdbOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Move a task through the workflow."""
    from shopscope.team import tasks

    _act(appdb, fmt, lambda s: tasks.set_status(s, task_id, status, by=_user(s, by), reason=reason))


@tasks_app.command("assign")
def assign(
    task_id: TaskId,
    user: Annotated[str | None, typer.Option(help="Assign to this username.")] = None,
    role: Annotated[str | None, typer.Option(help="Assign to this role (nobody in it).")] = None,
    appdb: AppdbOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Assign a task to a user or a role."""
    from shopscope.team import tasks

    _act(appdb, fmt, lambda s: tasks.assign(s, task_id, user=_user(s, user), role_key=role))


@tasks_app.command("comment")
def comment(
    task_id: TaskId,
    text: Annotated[str, typer.Argument(help="The comment.")],
    by: ByOpt = None,
    appdb: AppdbOpt = None,
    fmt: FormatOpt = Format.table,
) -> None:
    """Comment on a task."""
    from shopscope.team import tasks

    def act(s: Any) -> Any:
        tasks.add_comment(s, task_id, text, by=_user(s, by))
        return tasks.get_task(s, task_id)

    _act(appdb, fmt, act)


def register(app: typer.Typer) -> None:
    """Add ``shopscope tasks``."""
    app.add_typer(tasks_app, name="tasks")
