"""Queueing work: by task name, once the current transaction commits.

Services never import task modules (tasks import services), so a service names the task it wants.
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task_name: str, *args: Any, using: str | None = None, **kwargs: Any) -> None:
    """Send `task_name` to the workers once the surrounding transaction commits (at once outside
    one); nothing is sent when it rolls back, so a worker never looks for rows that do not exist."""
    transaction.on_commit(lambda: current_app.send_task(task_name, args=args, kwargs=kwargs), using=using)
