from __future__ import annotations

from django.db import models
from django.utils import timezone

from creditapp.tenancy.models import TenantOwned


class Alert(TenantOwned):
    """Something that happened that the person should know about; raised by finance.alerts.engine.

    `dedupe_key` names the event itself (for example `inquiry:<subscriber>:<date>` or
    `due:<account>:<due date>`), so however often the engine runs, one event makes one alert.
    """

    class Kind(models.TextChoices):
        NEW_INQUIRY = "new_inquiry", "New hard inquiry"
        NEW_ACCOUNT = "new_account", "New account"
        SCORE_CHANGE = "score_change", "Score change"
        UTILISATION = "utilisation", "High utilisation"
        PAYMENT_DUE = "payment_due", "Payment due soon"
        OVERDUE = "overdue", "Payment overdue"
        LARGE_TRANSACTION = "large_transaction", "Unusual transaction"
        RELOGIN = "relogin", "Bank connection needs attention"
        BILLING = "billing", "Billing"

    class Severity(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        CRITICAL = "critical", "Critical"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)  # a path in this app
    subject = models.CharField(max_length=60, blank=True)  # what it is about: "account:12", "report:5"
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "dedupe_key"], name="alert_unique_event_per_user")
        ]
        indexes = [models.Index(fields=["user", "dismissed_at", "read_at"], name="alert_user_inbox")]

    def __str__(self) -> str:
        return self.title
