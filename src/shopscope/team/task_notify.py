"""Notifying people of new tasks by e-mail (to the assignee or the role's users) and webhook;
every attempt is recorded in ``task_notifications`` (``docs/methods/tasks.md``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shopscope.appdb.models import Task, TaskNotification, User, utcnow
from shopscope.errors import ConfigurationError
from shopscope.team.notify import Delivery, SmtpSettings, send_email, send_webhook

if TYPE_CHECKING:
    from shopscope.appdb.database import AppDB

__all__ = ["Notifier", "notify_tasks"]


@dataclass(frozen=True)
class Notifier:
    """Where to notify about new tasks: SMTP (to users' addresses) and/or one webhook URL."""

    smtp: SmtpSettings | None = None
    webhook_url: str | None = None
    attempts: int = 3
    backoff: float = 1.0


def _recipients(s: Session, task: Task) -> list[str]:
    if task.assignee_id is not None:
        user = s.get(User, task.assignee_id)
        return [user.email] if user is not None and user.email else []
    q = select(User).where(User.role_key == task.role_key, User.active.is_(True))
    return sorted({u.email for u in s.scalars(q) if u.email})


def notify_tasks(db: AppDB, task_ids: Sequence[int], notifier: Notifier) -> tuple[Delivery, ...]:
    """Notify the assignee (or the role's users) of each task; record every outcome."""
    out: list[Delivery] = []
    with db.session() as s:
        for task_id in task_ids:
            task = s.get(Task, task_id)
            if task is None:
                continue
            for delivery in _deliver(s, task, notifier):
                s.add(
                    TaskNotification(
                        task_id=task.id,
                        channel=delivery.channel,
                        target=delivery.target[:512],
                        delivered=delivery.delivered,
                        attempts=delivery.attempts,
                        error=delivery.error,
                        created_at=utcnow(),
                    )
                )
                out.append(delivery)
    return tuple(out)


def _deliver(s: Session, task: Task, notifier: Notifier) -> list[Delivery]:
    out: list[Delivery] = []
    if notifier.smtp is not None:
        body = f"{task.title}\n\n{task.title_zh or ''}\n\n{task.link or ''}\n"
        for to in _recipients(s, task):
            try:
                subject = f"[shopscope] {task.title}"
                out.append(
                    send_email(notifier.smtp, to, subject, body, attempts=notifier.attempts,
                               backoff=notifier.backoff)
                )  # fmt: skip
            except ConfigurationError as exc:  # a bad address: record it, keep going
                out.append(Delivery("email", to, False, 0, str(exc)))
    if notifier.webhook_url:
        url = notifier.webhook_url
        try:
            out.append(
                send_webhook(url, _payload(task), attempts=notifier.attempts,
                             backoff=notifier.backoff)
            )  # fmt: skip
        except ConfigurationError as exc:
            out.append(Delivery("webhook", url, False, 0, str(exc)))
    return out


def _payload(task: Task) -> dict[str, Any]:
    return {
        "event": "task.created",
        "id": task.id,
        "title": task.title,
        "title_zh": task.title_zh,
        "role": task.role_key,
        "priority": task.priority,
        "due": task.due.date().isoformat() if task.due else None,
        "key": task.key,
        "link": task.link,
        "evidence": task.evidence or {},
    }
