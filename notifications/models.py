from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
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


class WebhookEvent(models.TextChoices):
    """The events an endpoint can subscribe to; the value is the `type` of the delivered message."""

    TRANSACTIONS_CHANGED = "transactions.changed", "Transactions changed"
    ALERT_CREATED = "alert.created", "Alert created"
    CONNECTION_NEEDS_ATTENTION = "connection.needs_attention", "Bank connection needs attention"
    CREDIT_REPORT_READY = "credit.report_ready", "Credit report ready"


class WebhookEndpoint(TenantOwned):
    """An HTTPS address that receives the person's events, signed per the Standard Webhooks spec.

    The signing secret (`whsec_…`) is stored encrypted (creditapp.core.crypto) and shown only when
    it is created or rotated.
    """

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    events = ArrayField(models.CharField(max_length=40, choices=WebhookEvent.choices))
    is_active = models.BooleanField(default=True)
    secret_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The target of the deliveries' composite foreign key.
            models.UniqueConstraint(fields=["user", "id"], name="webhook_endpoint_unique_user_id"),
        ]
        indexes = [models.Index(fields=["user", "is_active"], name="webhook_endpoint_user_active")]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantOwned):
    """One event sent to one endpoint, retried until it succeeds or runs out of attempts. The
    `message_id` is the event's (the `webhook-id` header): the same on every attempt and endpoint, so
    receivers can drop duplicates."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    message_id = models.CharField(max_length=40)
    event = models.CharField(max_length=40)  # a WebhookEvent, or the test event
    payload = models.JSONField()
    is_test = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "endpoint", "message_id"], name="webhook_delivery_unique_message"
            ),
            models.UniqueConstraint(fields=["user", "id"], name="webhook_delivery_unique_user_id"),
        ]
        indexes = [models.Index(fields=["user", "endpoint", "-created_at"], name="webhook_delivery_log")]

    def __str__(self) -> str:
        return f"{self.event} {self.message_id}"


class WebhookDeliveryAttempt(TenantOwned):
    """One HTTP request of a delivery: what came back (or what went wrong) and when the next try is."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "delivery", "number"], name="webhook_attempt_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}"
