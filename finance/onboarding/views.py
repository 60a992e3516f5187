"""The setup wizard after signup: your details → a bank → your credit report → your plan → dashboard."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import ProfileForm
from accounts.models import User
from billing.selectors import entitlements_for_request
from creditapp.core.request import url_or_none, user_id
from finance.models import CreditProfile, OnboardingProgress, PlaidItem
from finance.onboarding.services import (
    STEP_TITLES,
    STEPS,
    next_step,
    onboarding_start,
    onboarding_step_set,
    remember_next_step,
)

State = OnboardingProgress.State


def _go_on(request: HttpRequest, progress: OnboardingProgress) -> HttpResponse:
    remember_next_step(request, progress)
    step = next_step(progress)
    if step is None:
        messages.success(request, "You're all set. Here's your dashboard.")
        return redirect("finance:dashboard")
    return redirect("finance:onboarding-step", step=step)


def _done_elsewhere(uid: int, progress: OnboardingProgress) -> OnboardingProgress:
    """Steps finished on their own pages (a bank connected, credit consent given) count as done."""
    if progress.bank != State.DONE and PlaidItem.objects.for_user(uid).exists():
        progress = onboarding_step_set(user_id=uid, step="bank", state=State.DONE)
    if progress.credit != State.DONE and CreditProfile.objects.for_user(uid).exists():
        progress = onboarding_step_set(user_id=uid, step="credit", state=State.DONE)
    return progress


@login_required
@require_GET
def onboarding(request: HttpRequest) -> HttpResponse:
    """Resume the wizard where it was left."""
    uid = user_id(request)
    progress = _done_elsewhere(uid, onboarding_start(user_id=uid))
    remember_next_step(request, progress)
    step = next_step(progress)
    return redirect("finance:onboarding-step", step=step) if step else redirect("finance:dashboard")


@login_required
@require_http_methods(["GET", "POST"])
def onboarding_step(request: HttpRequest, step: str) -> HttpResponse:
    if step not in STEPS:
        raise Http404("no such step")
    uid = user_id(request)
    user: User = request.user  # type: ignore[assignment]
    progress = onboarding_start(user_id=uid)
    form = ProfileForm(request.POST or None, user=user) if step == "profile" else None
    context: dict[str, Any] = {}

    progress = _done_elsewhere(uid, progress)
    if step == "bank":
        context["items"] = list(PlaidItem.objects.for_user(uid).order_by("institution_name", "id"))
    elif step == "credit":
        context["consent_url"] = url_or_none("finance:credit-consent")
        context["has_consent"] = progress.credit == State.DONE
    elif step == "plan":
        context["entitlements"] = entitlements_for_request(request)
        context["plans_url"] = url_or_none("billing:plans")

    if request.method == "POST":
        action = request.POST.get("action", "done")
        if step == "profile":
            assert form is not None
            if form.is_valid():
                form.save()
                return _go_on(request, onboarding_step_set(user_id=uid, step="profile", state=State.DONE))
        elif action == "skip":
            return _go_on(request, onboarding_step_set(user_id=uid, step=step, state=State.SKIPPED))
        else:
            return _go_on(request, onboarding_step_set(user_id=uid, step=step, state=State.DONE))

    remember_next_step(request, progress)
    index = STEPS.index(step)
    context.update(
        step=step,
        title=STEP_TITLES[step],
        number=index + 1,
        total=len(STEPS),
        form=form,
        progress=progress,
        steps=[
            {
                "slug": slug,
                "title": STEP_TITLES[slug],
                "state": getattr(progress, slug),
                "current": slug == step,
            }
            for slug in STEPS
        ],
        previous=STEPS[index - 1] if index else None,
    )
    return render(
        request, f"finance/onboarding/{step}.html", context, status=400 if form and form.errors else 200
    )
