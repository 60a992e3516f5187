"""Importing a bank's CSV export into a manual account.

Upload → `import_job_create` reads the file (finance.imports.decode) and guesses its layout
(finance.imports.layout) → the person checks the columns and a preview (`import_job_set_layout`) →
`import_job_enqueue` → the Celery task `finance.imports.run`, bound to the tenant, calls `import_job_run`,
which reads the rows (finance.imports.parse) and imports all of them or none.

Duplicates: each row's id is a hash of the account, date, amount and description plus how many
identical rows came before it in the file, stored as `plaid_transaction_id = "import:<hash>"` (the
per-tenant unique key). Importing the same file, or an overlapping export, again adds only new rows,
while two identical coffees on one day in one file both count.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from creditapp.core.queue import enqueue_on_commit
from finance.banking.sync import INSERT_SQL, transactions_ingest
from finance.imports.decode import decode
from finance.imports.layout import Layout, detect_layout
from finance.imports.limits import MAX_BYTES, UploadError
from finance.imports.parse import ParsedRow, parse_rows
from finance.insights.dashboard import dashboard_invalidate
from finance.insights.rules import rules_apply
from finance.models import Account, ImportJob, Transaction
from notifications.models import WebhookEvent
from notifications.webhooks import webhook_event_emit

log = logging.getLogger(__name__)

ID_PREFIX = "import:"
MANUAL_TYPES = {
    "checking": Account.Type.DEPOSITORY,
    "savings": Account.Type.DEPOSITORY,
    "credit card": Account.Type.CREDIT,
}
INSERT_NEW_SQL = INSERT_SQL + " ON CONFLICT (user_id, plaid_transaction_id) DO NOTHING"
PROGRESS_SECONDS = 3600
MB = 1024 * 1024


# --- progress (the status page polls it while the task runs) ---------------------------------------
def _progress_key(job_pk: int) -> str:
    return f"import-progress:{job_pk}"


def import_progress(job_pk: int) -> dict[str, Any] | None:
    return cache.get(_progress_key(job_pk))


def _report(job_pk: int, phase: str, done: int, total: int) -> None:
    cache.set(_progress_key(job_pk), {"phase": phase, "done": done, "total": total}, PROGRESS_SECONDS)


# --- creating and checking a job ------------------------------------------------------------------
@dataclass(frozen=True)
class Destination:
    """An existing manual account, or the name and kind of a new one."""

    account_id: int | None = None
    new_name: str = ""
    new_kind: str = "checking"


def import_job_create(
    *, user_id: int, filename: str, content: bytes, destination: Destination, currency: str
) -> ImportJob:
    """Store the upload and its guessed layout. Raises UploadError for files that cannot be imported at
    all (too big, not text, no rows), Account.DoesNotExist for an account that isn't the person's own
    manual account."""
    if len(content) > MAX_BYTES:
        raise UploadError(
            f"The file is {len(content) / MB:.1f} MB; the limit is {MAX_BYTES // MB} MB.",
            413,
        )
    text, encoding = decode(content)
    layout = detect_layout(text, encoding)
    if destination.account_id is not None:
        Account.objects.get(pk=destination.account_id, user_id=user_id, item__isnull=True)
    with transaction.atomic():
        job = ImportJob.objects.create(
            user_id=user_id,
            account_id=destination.account_id,
            filename=filename[:255],
            content=content,
            size=len(content),
            layout={
                **layout.as_json(),
                "new_account": {
                    "name": destination.new_name,
                    "kind": destination.new_kind,
                    "currency": currency,
                },
            },
        )
        audit_record(
            "finance.import_uploaded", user_id=user_id, details={"job": job.pk, "bytes": len(content)}
        )
    return job


def job_layout(job: ImportJob) -> Layout:
    return Layout.from_json(job.layout)


def job_text(job: ImportJob, layout: Layout | None = None) -> str:
    encoding = (layout or job_layout(job)).encoding
    return decode(bytes(job.content), encoding)[0]


def import_job_set_layout(*, user_id: int, job_pk: int, layout: Layout) -> ImportJob:
    """Save the person's corrections to the columns and formats (only while the job is a draft)."""
    job = ImportJob.objects.get(pk=job_pk, user_id=user_id, status=ImportJob.Status.DRAFT)
    job.layout = {**job.layout, **layout.as_json()}
    job.save(update_fields=["layout"])
    return job


def import_currency(job: ImportJob) -> str:
    if job.account_id is not None:
        return str(
            Account.objects.filter(pk=job.account_id, user_id=job.user_id)
            .values_list("currency", flat=True)
            .get()
        )
    return str(job.layout.get("new_account", {}).get("currency") or "USD")


def import_job_enqueue(*, user_id: int, job_pk: int) -> ImportJob:
    """Queue the import (the layout must have no problems left). Raises UploadError."""
    job = (
        ImportJob.objects.for_user(user_id).select_for_update().get(pk=job_pk, status=ImportJob.Status.DRAFT)
    )
    problems = job_layout(job).problems()
    if problems:
        raise UploadError(" ".join(problems))
    job.status = ImportJob.Status.QUEUED
    job.save(update_fields=["status"])
    _report(job.pk, "queued", 0, 0)
    enqueue_on_commit("finance.imports.run", user_id, job.pk)
    return job


# --- running it -----------------------------------------------------------------------------------
def import_row_id(account_pk: int, row: ParsedRow, occurrence: int) -> str:
    description = " ".join(row.description.lower().split())
    key = f"{account_pk}|{row.day.isoformat()}|{row.amount_minor}|{description}|{occurrence}"
    return ID_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:40]


def _account_for(job: ImportJob) -> Account:
    if job.account_id is not None:
        return Account.objects.get(pk=job.account_id, user_id=job.user_id, item__isnull=True)
    wanted = job.layout.get("new_account") or {}
    kind = wanted.get("kind") or "checking"
    return Account.objects.create(
        user_id=job.user_id,
        external_id=f"manual:{uuid.uuid4().hex}",
        institution_name="",
        name=(wanted.get("name") or job.filename.rsplit(".", 1)[0] or "Imported account")[:200],
        type=MANUAL_TYPES.get(kind, Account.Type.DEPOSITORY),
        subtype=kind if kind in MANUAL_TYPES else "",
        currency=wanted.get("currency") or "USD",
    )


def _fail(
    user_id: int, job_pk: int, message: str, errors: list[dict[str, Any]] | None = None, **counts: int
) -> None:
    ImportJob.objects.filter(pk=job_pk, user_id=user_id).update(
        status=ImportJob.Status.FAILED,
        error_message=message[:500],
        errors=errors or [],
        finished_at=timezone.now(),
        **counts,
    )
    cache.delete(_progress_key(job_pk))


def import_job_run(*, user_id: int, job_pk: int) -> ImportJob | None:
    """Import every row of a queued job, or none: rows that cannot be read fail the job with each one's
    line number and reason; anything else that goes wrong rolls the whole import back."""
    with transaction.atomic():
        job = ImportJob.objects.filter(
            pk=job_pk, user_id=user_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
        ).first()
        if job is None:
            return None  # gone, or already finished (a redelivered task)
        job.status, job.started_at = ImportJob.Status.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
        currency = import_currency(job)
    layout = job_layout(job)
    try:
        text = job_text(job, layout)
        lines = text.count("\n") + 1  # about the number of rows, for the progress bar
        _report(job_pk, "reading", 0, lines)
        parsed = parse_rows(
            text, layout, currency=currency, progress=lambda n: _report(job_pk, "reading", n, lines)
        )
    except UploadError as error:
        _fail(user_id, job_pk, str(error))
        return None
    total = len(parsed.rows)
    if parsed.error_count:
        _fail(
            user_id,
            job_pk,
            f"{parsed.error_count} row{'s' if parsed.error_count != 1 else ''} could not be read, so nothing "
            "was imported. Fix them in the file (or the column settings) and upload it again.",
            parsed.errors,
            total_rows=total + parsed.error_count,
            skipped_count=parsed.skipped_count,
        )
        return None
    try:
        with transaction.atomic():
            account = _account_for(job)
            imported, duplicates = _insert(job_pk, user_id, account, parsed.rows)
            ImportJob.objects.filter(pk=job_pk, user_id=user_id).update(
                status=ImportJob.Status.SUCCEEDED,
                account=account,
                total_rows=total,
                imported_count=imported,
                duplicate_count=duplicates,
                skipped_count=parsed.skipped_count,
                errors=parsed.skipped,
                finished_at=timezone.now(),
            )
            details = {"job": job_pk, "account": account.pk, "imported": imported, "duplicates": duplicates}
            audit_record("finance.import_finished", user_id=user_id, details=details)
            if imported:
                webhook_event_emit(
                    user_id=user_id,
                    event=WebhookEvent.TRANSACTIONS_CHANGED,
                    data={
                        "source": "csv_import", "import_id": job_pk, "account_id": account.pk,
                        "added": imported, "modified": 0, "removed": 0,
                    },
                )  # fmt: skip
            transaction.on_commit(lambda: dashboard_invalidate(user_id=user_id))
    except Exception:
        log.exception("import %s failed; rolled back", job_pk)
        _fail(user_id, job_pk, "Something went wrong on our side and nothing was imported. Please try again.")
        raise
    cache.delete(_progress_key(job_pk))
    return ImportJob.objects.for_user(user_id).get(pk=job_pk)


def _insert(job_pk: int, user_id: int, account: Account, rows: list[ParsedRow]) -> tuple[int, int]:
    """Insert the rows not imported before; returns (inserted, duplicates). In the caller's transaction."""
    seen: Counter[tuple[Any, ...]] = Counter()
    keyed = []
    for row in rows:
        identity = (row.day, row.amount_minor, " ".join(row.description.lower().split()))
        keyed.append((import_row_id(account.pk, row, seen[identity]), row))
        seen[identity] += 1
    ids = [key for key, _ in keyed]
    existing: set[str] = set()
    for start in range(0, len(ids), 5000):
        existing.update(
            Transaction.objects.for_user(user_id)
            .filter(plaid_transaction_id__in=ids[start : start + 5000])
            .values_list("plaid_transaction_id", flat=True)
        )
    fresh = [(key, row) for key, row in keyed if key not in existing]
    for start in range(0, len(fresh), 5000):
        batch = fresh[start : start + 5000]
        values = [_values(account, key, row) for key, row in batch]
        transactions_ingest(user_id=user_id, rows=values, sql=INSERT_NEW_SQL)
        _report(job_pk, "saving", start + len(batch), len(fresh))
    rules_apply(user_id=user_id, plaid_ids=[key for key, _ in fresh])
    return len(fresh), len(keyed) - len(fresh)


def _values(account: Account, key: str, row: ParsedRow) -> tuple[Any, ...]:
    """A row in finance.banking.sync.TRANSACTION_COLUMNS order; imports have no category (rules and
    the person add one) and are never pending."""
    return (
        account.pk,
        key,
        row.amount_minor,
        account.currency,
        row.day,
        None,
        row.description,
        "",
        "",
        "",
        "other",
        False,
        "",
    )
