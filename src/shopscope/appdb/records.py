"""Audit log, tasks and saved views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shopscope.appdb.models import AuditEntry, SavedView, Task, User, utcnow
from shopscope.errors import InvalidInputError, NotFoundError

__all__ = [
    "add_task",
    "audit",
    "complete_task",
    "count_audit",
    "delete_view",
    "list_audit",
    "list_tasks",
    "list_views",
    "save_view",
]


def audit(
    s: Session,
    actor: str,
    action: str,
    *,
    target: str = "",
    ip: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one sensitive action (``user.create``, ``export.csv``, ``login.failure``, ...)."""
    entry = AuditEntry(
        actor=actor[:64],
        action=action,
        target=target[:256],
        ip=ip[:64],
        details=details or {},
        at=utcnow(),
    )
    s.add(entry)
    return entry


def list_audit(
    s: Session, *, action: str | None = None, limit: int = 100, offset: int = 0
) -> Sequence[AuditEntry]:
    """Audit entries, newest first, optionally of one action."""
    q = select(AuditEntry)
    if action is not None:
        q = q.where(AuditEntry.action == action)
    return s.scalars(
        q.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()


def count_audit(s: Session, *, action: str | None = None) -> int:
    """Number of audit entries (of one action)."""
    q = select(func.count(AuditEntry.id))
    if action is not None:
        q = q.where(AuditEntry.action == action)
    return int(s.scalar(q) or 0)


def add_task(
    s: Session,
    title: str,
    *,
    role_key: str | None = None,
    assignee: User | None = None,
    body: str = "",
    source: str = "manual",
    due: datetime | None = None,
) -> Task:
    """Route a task to a role, a user, or both."""
    if not title.strip():
        raise InvalidInputError("A task needs a title.")
    if role_key is None and assignee is None:
        raise InvalidInputError("Route the task to a role or a user (role_key= or assignee=).")
    task = Task(
        title=title.strip()[:256],
        body=body,
        role_key=role_key,
        assignee_id=assignee.id if assignee is not None else None,
        source=source,
        status="open",
        due=due,
    )
    s.add(task)
    s.flush()
    return task


def list_tasks(s: Session, user: User, *, status: str | None = "open") -> Sequence[Task]:
    """Tasks for ``user``: assigned to them, or to their role and to nobody in particular."""
    mine = or_(
        Task.assignee_id == user.id,
        (Task.role_key == user.role_key) & Task.assignee_id.is_(None),
    )
    q = select(Task).where(mine)
    if status is not None:
        q = q.where(Task.status == status)
    return s.scalars(q.order_by(Task.due.is_(None), Task.due, Task.id)).all()


def complete_task(s: Session, user: User, task_id: int) -> Task:
    """Mark one of the user's tasks done."""
    task = s.get(Task, task_id)
    visible = task is not None and (
        task.assignee_id == user.id or (task.assignee_id is None and task.role_key == user.role_key)
    )
    if task is None or not visible:
        raise NotFoundError(f"No task {task_id} in the inbox of {user.username}.")
    task.status = "done"
    task.done_at = utcnow()
    task.done_by = user.id
    return task


def save_view(s: Session, user: User, name: str, path: str) -> SavedView:
    """Save a page with its filters; ``path`` must be a local path (``/...``, no scheme/host)."""
    name = name.strip()
    if not name or len(name) > 128:
        raise InvalidInputError("Name the view (1-128 characters).")
    if not path.startswith("/") or path.startswith("//") or "\\" in path or len(path) > 512:
        raise InvalidInputError(
            f"View path {path[:80]!r} must be a local page path such as /tactical?dimension=device."
        )
    view = SavedView(user_id=user.id, name=name, path=path)
    s.add(view)
    s.flush()
    return view


def list_views(s: Session, user: User) -> Sequence[SavedView]:
    """The user's saved views, by name."""
    return s.scalars(
        select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)
    ).all()


def delete_view(s: Session, user: User, view_id: int) -> None:
    """Delete one of the user's saved views."""
    view = s.get(SavedView, view_id)
    if view is None or view.user_id != user.id:
        raise NotFoundError(f"No saved view {view_id} of {user.username}.")
    s.delete(view)
