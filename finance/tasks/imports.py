"""Thin task: import one uploaded CSV (finance.services.imports does the work, in the tenant's context)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from finance.services.imports import import_job_run


@shared_task(name="finance.imports.run")
def run(user_id: int, job_pk: int) -> dict[str, Any] | None:
    job = import_job_run(user_id=user_id, job_pk=job_pk)
    if job is None:
        return None
    return {"imported": job.imported_count, "duplicates": job.duplicate_count}
