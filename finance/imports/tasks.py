"""Thin task: import one uploaded CSV (finance.imports.services does the work, bound to the tenant)."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from creditapp.tenancy.tasks import TenantTask
from finance.imports.services import import_job_run


@shared_task(name="finance.imports.run", base=TenantTask)
def run(user_id: int, job_pk: int) -> dict[str, Any] | None:
    job = import_job_run(user_id=user_id, job_pk=job_pk)
    if job is None:
        return None
    return {"imported": job.imported_count, "duplicates": job.duplicate_count}
