from __future__ import annotations

from django.db import models
from django.utils import timezone

from creditapp.tenancy.models import TenantOwned


class ImportJob(TenantOwned):
    """One uploaded bank CSV: the file itself (capped, see finance.imports.limits), how to read it, and the
    outcome of importing it. Imports are all-or-nothing: a failed job wrote no transactions."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Waiting for you to check the columns"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        SUCCEEDED = "succeeded", "Imported"
        FAILED = "failed", "Failed"

    account = models.ForeignKey(
        "finance.Account",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
    )
    filename = models.CharField(max_length=255)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    # How to read the file (finance.imports.layout.Layout.as_json): encoding, separator, columns, formats.
    layout = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    total_rows = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)  # rows without any amount (balance lines)
    errors = models.JSONField(default=list, blank=True)  # [{"line": 12, "reason": "..."}], capped
    error_message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="importjob_user_created")]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.filename}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
