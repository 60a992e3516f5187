from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from billing.plans import PLANS, Plan
from creditapp.tenancy.models import TenantOwned


class BillingCustomer(TenantOwned):
    """The one Stripe customer of a person, created the first time they start a checkout."""

    stripe_customer_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user"], name="billingcustomer_one_per_user"),
            models.UniqueConstraint(
                fields=["user", "stripe_customer_id"], name="billingcustomer_unique_customer"
            ),
        ]
        # Webhooks find the owner by customer id (through the maint role) before anyone is known.
        indexes = [models.Index(fields=["stripe_customer_id"], name="billingcustomer_stripe_id")]

    def __str__(self) -> str:
        return self.stripe_customer_id


class Subscription(TenantOwned):
    """Our mirror of one Stripe subscription, always rewritten from what Stripe says now."""

    class Status(models.TextChoices):
        INCOMPLETE = "incomplete"
        INCOMPLETE_EXPIRED = "incomplete_expired"
        TRIALING = "trialing"
        ACTIVE = "active"
        PAST_DUE = "past_due"
        CANCELED = "canceled"
        UNPAID = "unpaid"
        PAUSED = "paused"

    # Statuses in which Stripe still bills the subscription: a new Checkout would double-charge.
    LIVE_STATUSES = (Status.TRIALING, Status.ACTIVE, Status.PAST_DUE, Status.UNPAID, Status.PAUSED)

    stripe_subscription_id = models.CharField(max_length=255)
    stripe_customer_id = models.CharField(max_length=255)
    stripe_price_id = models.CharField(max_length=255, blank=True)
    plan = models.CharField(max_length=20, blank=True, help_text="Empty when the price is not one of ours.")
    interval = models.CharField(max_length=10, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    trial_end = models.DateTimeField(null=True, blank=True)
    past_due_since = models.DateTimeField(
        null=True, blank=True, help_text="When we first saw it past due; the grace period runs from here."
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "stripe_subscription_id"], name="subscription_unique_per_user"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "status"], name="subscription_user_status"),
            models.Index(fields=["stripe_subscription_id"], name="subscription_stripe_id"),
        ]

    def __str__(self) -> str:
        return f"{self.plan or self.stripe_price_id} ({self.status})"

    @property
    def plan_info(self) -> Plan | None:
        plan = PLANS.get(self.plan)
        return plan if plan is not None and plan.paid else None

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE_STATUSES

    def grace_ends_at(self) -> datetime | None:
        if self.status != self.Status.PAST_DUE or self.past_due_since is None:
            return None
        return self.past_due_since + timedelta(days=settings.PAST_DUE_GRACE_DAYS)

    def grants_at(self, at: datetime) -> bool:
        """Whether this subscription entitles its owner to its plan at `at`."""
        if self.plan_info is None:
            return False
        if self.status in (self.Status.ACTIVE, self.Status.TRIALING):
            return True
        grace_end = self.grace_ends_at()
        return grace_end is not None and at < grace_end


class WebhookEvent(models.Model):
    """One Stripe event, stored once by id and processed once by a Celery task.

    Not tenant-owned: it is stored before anyone is known. It holds ids only (no payload, so no
    personal or card data); processing re-reads the objects from Stripe.
    """

    class Status(models.TextChoices):
        RECEIVED = "received"
        PROCESSED = "processed"
        FAILED = "failed"

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=255, blank=True)
    customer_id = models.CharField(max_length=255, blank=True)
    subscription_id = models.CharField(max_length=255, blank=True)
    livemode = models.BooleanField(default=False)
    stripe_created_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="webhookevent_status"),
            models.Index(fields=["customer_id"], name="webhookevent_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
