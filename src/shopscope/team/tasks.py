"""The task inbox: brief items become tasks with a workflow, assignment, comments and
notifications (``docs/methods/tasks.md``).

Sync rules, by the finding's ``key`` (the latest brief task with that key decides):

- no task yet → a new task;
- an open or in-progress task → updated in place (evidence, title, due ...), never duplicated;
- a dismissed task → nothing, unless the evidence ``fingerprint`` changed (then a new task);
- a done task → a new task (the situation came back).

Notifications are sent after the tasks are committed; each attempt is recorded in
``task_notifications`` (delivered or not, with the error), so a failing mail server or webhook
never loses a task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from shopscope.appdb.models import (
    Task,
    TaskComment,
    User,
    utcnow,
)
from shopscope.errors import InvalidInputError, NotFoundError
from shopscope.team.brief.model import Brief, BriefItem
from shopscope.team.notify import Delivery
from shopscope.team.task_notify import Notifier, notify_tasks

if TYPE_CHECKING:
    from shopscope.appdb.database import AppDB

__all__ = [
    "ACTIVE",
    "STATUSES",
    "CommentView",
    "SyncResult",
    "TaskView",
    "add_comment",
    "assign",
    "get_task",
    "list_inbox",
    "set_status",
    "sync_brief",
    "task_view",
]

STATUSES = ("open", "in_progress", "done", "dismissed")
"""The workflow states of a task."""
ACTIVE = ("open", "in_progress")
"""States in which a task is still to be worked on (a sync updates it in place)."""
SOURCE = "brief"


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: task ids created and updated, keys left dismissed, notifications."""

    created: tuple[int, ...]
    updated: tuple[int, ...]
    suppressed: tuple[str, ...]
    deliveries: tuple[Delivery, ...] = ()

    @property
    def undelivered(self) -> int:
        """Notifications that failed after every retry (the tasks exist regardless)."""
        return sum(not d.delivered for d in self.deliveries)


@dataclass(frozen=True)
class CommentView:
    """A comment as shown: who, when, what."""

    author: str | None
    body: str
    created_at: datetime


@dataclass(frozen=True)
class TaskView:
    """A task as the CLI, API and pages show it."""

    id: int
    title: str
    title_zh: str | None
    status: str
    priority: str
    role: str | None
    assignee: str | None
    key: str | None
    rule: str | None
    fingerprint: str | None
    evidence: dict[str, Any]
    link: str | None
    due: datetime | None
    dismissed_reason: str | None
    source: str
    created_at: datetime
    updated_at: datetime | None
    comments: tuple[CommentView, ...] = field(default_factory=tuple)


def _due(day: date) -> datetime:
    return datetime.combine(day, time())


def _fill(task: Task, item: BriefItem) -> None:
    task.title = item.title_en[:256]
    task.title_zh = item.title_zh[:256]
    task.rule = item.rule
    task.key = item.key
    task.fingerprint = item.fingerprint
    task.priority = item.priority
    task.evidence = dict(item.evidence)
    task.link = item.link[:512] if item.link else None
    task.due = _due(item.due)
    task.updated_at = utcnow()


def _latest(s: Session, key: str) -> Task | None:
    q = select(Task).where(Task.source == SOURCE, Task.key == key).order_by(Task.id.desc())
    return s.scalars(q.limit(1)).first()


def sync_brief(db: AppDB, brief: Brief, *, notifier: Notifier | None = None) -> SyncResult:
    """Turn ``brief``'s items into tasks (rules in the module docstring), then notify.

    The tasks are committed before any notification is attempted; every attempt is recorded
    in ``task_notifications``.
    """
    created: list[int] = []
    updated: list[int] = []
    suppressed: list[str] = []
    with db.session() as s:
        for item in brief.items:
            last = _latest(s, item.key)
            if last is not None and last.status in ACTIVE:
                _fill(last, item)
                updated.append(last.id)
                continue
            if (
                last is not None
                and last.status == "dismissed"
                and last.fingerprint == item.fingerprint
            ):
                suppressed.append(item.key)
                continue
            task = Task(source=SOURCE, status="open", role_key=item.role, body="")
            _fill(task, item)
            s.add(task)
            s.flush()
            created.append(task.id)
    deliveries: tuple[Delivery, ...] = ()
    if notifier is not None and created:
        deliveries = notify_tasks(db, created, notifier)
    return SyncResult(tuple(created), tuple(updated), tuple(suppressed), deliveries)


# -- workflow -------------------------------------------------------------------------------


def get_task(s: Session, task_id: int) -> Task:
    """The task ``task_id`` (``NotFoundError`` when there is none)."""
    task = s.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"No task {task_id}; list them with `shopscope tasks list`.")
    return task


def set_status(
    s: Session, task_id: int, status: str, *, by: User | None = None, reason: str | None = None
) -> Task:
    """Move a task to ``status``; ``dismissed`` needs a ``reason`` (it feeds back to the brief)."""
    if status not in STATUSES:
        raise InvalidInputError(
            f"Unknown task status {status!r}; use one of {', '.join(STATUSES)}."
        )
    reason = (reason or "").strip()
    if status == "dismissed" and not reason:
        raise InvalidInputError(
            "Dismissing a task needs a reason (why is this finding not worth acting on?)."
        )
    task = get_task(s, task_id)
    task.status = status
    task.dismissed_reason = reason if status == "dismissed" else None
    if status == "done":
        task.done_at = utcnow()
        task.done_by = by.id if by is not None else None
    else:
        task.done_at = None
        task.done_by = None
    task.updated_at = utcnow()
    return task


def assign(
    s: Session, task_id: int, *, user: User | None = None, role_key: str | None = None
) -> Task:
    """Assign a task to a user (their role becomes the task's role) or to a role (unassigned)."""
    if (user is None) == (role_key is None):
        raise InvalidInputError("Assign the task to either a user or a role (not both, not none).")
    task = get_task(s, task_id)
    if user is not None:
        task.assignee_id = user.id
        task.role_key = user.role_key
    else:
        from shopscope.team.roles import role_model

        role_model().role(str(role_key))  # NotFoundError names the known roles
        task.assignee_id = None
        task.role_key = role_key
    task.updated_at = utcnow()
    return task


def add_comment(s: Session, task_id: int, body: str, *, by: User | None = None) -> TaskComment:
    """Add a comment (1-5000 characters) to a task."""
    body = body.strip()
    if not body or len(body) > 5000:
        raise InvalidInputError("A comment needs 1-5000 characters of text.")
    task = get_task(s, task_id)
    c = TaskComment(task_id=task.id, user_id=by.id if by else None, body=body, created_at=utcnow())
    s.add(c)
    task.updated_at = utcnow()
    s.flush()
    return c


def list_inbox(
    s: Session,
    *,
    user: User | None = None,
    role_key: str | None = None,
    status: str | None = None,
) -> Sequence[Task]:
    """Tasks of a user (assigned to them or to their role), of a role, or all; by due date.

    ``status``: one of :data:`STATUSES`, ``active`` (open or in progress) or ``None`` (all).
    """
    q = select(Task)
    if user is not None:
        q = q.where(or_(Task.assignee_id == user.id, Task.role_key == user.role_key))
    if role_key is not None:
        q = q.where(Task.role_key == role_key)
    if status == "active":
        q = q.where(Task.status.in_(ACTIVE))
    elif status is not None:
        if status not in STATUSES:
            raise InvalidInputError(
                f"Unknown task status {status!r}; use active or one of {', '.join(STATUSES)}."
            )
        q = q.where(Task.status == status)
    order = {"high": 0, "medium": 1, "low": 2}
    tasks = s.scalars(q.order_by(Task.due.is_(None), Task.due, Task.id)).all()
    return sorted(tasks, key=lambda t: (t.due is None, t.due or datetime.min, order.get(
        t.priority, 3), t.id))  # fmt: skip


def task_view(s: Session, task: Task, *, comments: bool = False) -> TaskView:
    """A task with names instead of ids (and its comments when asked)."""
    assignee = s.get(User, task.assignee_id) if task.assignee_id is not None else None
    notes: tuple[CommentView, ...] = ()
    if comments:
        q = select(TaskComment).where(TaskComment.task_id == task.id).order_by(TaskComment.id)
        rows = s.scalars(q).all()
        names = {u.id: u.username for u in s.scalars(select(User))} if rows else {}
        notes = tuple(
            CommentView(names.get(c.user_id) if c.user_id else None, c.body, c.created_at)
            for c in rows
        )
    return TaskView(
        id=task.id,
        title=task.title,
        title_zh=task.title_zh,
        status=task.status,
        priority=task.priority,
        role=task.role_key,
        assignee=assignee.username if assignee is not None else None,
        key=task.key,
        rule=task.rule,
        fingerprint=task.fingerprint,
        evidence=dict(task.evidence or {}),
        link=task.link,
        due=task.due,
        dismissed_reason=task.dismissed_reason,
        source=task.source,
        created_at=task.created_at,
        updated_at=task.updated_at,
        comments=notes,
    )
