from __future__ import annotations

from django.db import models
from django.utils import timezone

from creditapp.tenancy.models import TenantOwned


class OnboardingProgress(TenantOwned):
    """Where a new person is in the setup wizard. Each step is pending, done or skipped; the wizard is
    complete once every step is done or skipped (skipped ones can be resumed from the dashboard)."""

    class State(models.TextChoices):
        PENDING = "", "To do"
        DONE = "done", "Done"
        SKIPPED = "skipped", "Skipped"

    profile = models.CharField(max_length=7, choices=State.choices, blank=True, default=State.PENDING)
    bank = models.CharField(max_length=7, choices=State.choices, blank=True, default=State.PENDING)
    credit = models.CharField(max_length=7, choices=State.choices, blank=True, default=State.PENDING)
    plan = models.CharField(max_length=7, choices=State.choices, blank=True, default=State.PENDING)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="onboardingprogress_one_per_user")]
        verbose_name_plural = "onboarding progress"

    def __str__(self) -> str:
        return f"onboarding of user {self.user_id}"
