"""The setup wizard after signup: profile → bank → credit report → plan → dashboard.

Progress is one tenant-owned row per person. Every step can be skipped; skipped ones (a bank, the
credit report) are offered again on the dashboard until done.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.audit import audit_record
from finance.models import Account, OnboardingProgress

STEPS = ("profile", "bank", "credit", "plan")
STEP_TITLES = {
    "profile": "Your details",
    "bank": "Connect a bank",
    "credit": "Your credit report",
    "plan": "Your plan",
}
# Where the base template's "finish setting up" banner points, kept in the session (no query per page).
SESSION_KEY = "onboarding_next"
State = OnboardingProgress.State


def onboarding_progress_get(*, user_id: int) -> OnboardingProgress | None:
    return OnboardingProgress.objects.for_user(user_id).first()


def onboarding_start(*, user_id: int) -> OnboardingProgress:
    progress, _ = OnboardingProgress.objects.get_or_create(user_id=user_id)
    return progress


def next_step(progress: OnboardingProgress) -> str | None:
    """The first step neither done nor skipped (None: the wizard is complete)."""
    return next((step for step in STEPS if getattr(progress, step) == State.PENDING), None)


def onboarding_step_set(*, user_id: int, step: str, state: str) -> OnboardingProgress:
    """Mark a step done or skipped; the wizard completes when no step is pending."""
    if step not in STEPS or state not in (State.DONE, State.SKIPPED):
        raise ValueError(f"bad onboarding step {step!r} or state {state!r}")
    with transaction.atomic():
        progress = onboarding_start(user_id=user_id)
        if getattr(progress, step) == State.DONE and state == State.SKIPPED:
            return progress  # skipping a step already done changes nothing
        setattr(progress, step, state)
        if progress.completed_at is None and next_step(progress) is None:
            progress.completed_at = timezone.now()
            audit_record("onboarding.completed", user_id=user_id)
        progress.save()
    return progress


def onboarding_needed(*, user_id: int, progress: OnboardingProgress | None) -> bool:
    """Whether the dashboard should send the person to the wizard.

    Someone with accounts but no progress row (linked before ever seeing the wizard: seeded, or
    signed up through the API) is recorded as done once, so they are never sent there and the
    question costs nothing next time.
    """
    if progress is not None:
        return progress.completed_at is None
    if not Account.objects.for_user(user_id).exists():
        return True
    OnboardingProgress.objects.get_or_create(
        user_id=user_id,
        defaults={
            "profile": State.DONE,
            "bank": State.DONE,
            "credit": State.SKIPPED,
            "plan": State.SKIPPED,
            "completed_at": timezone.now(),
        },
    )
    return False


def remember_next_step(request: HttpRequest, progress: OnboardingProgress | None) -> None:
    """Keep the banner's target in the session (or clear it once the wizard is complete)."""
    step = next_step(progress) if progress is not None else STEPS[0]
    if step is None or (progress is not None and progress.completed_at is not None):
        request.session.pop(SESSION_KEY, None)
    elif request.session.get(SESSION_KEY) != step:
        request.session[SESSION_KEY] = step
