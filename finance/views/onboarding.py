"""The setup wizard after signup: your details → a bank → your credit report → your plan → dashboard."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import CURRENCY_CHOICES, TIMEZONE_CHOICES, User
from creditapp.http import user_id
from finance.models import CreditProfile, OnboardingProgress, PlaidItem
from finance.services.onboarding import (
    STEP_TITLES,
    STEPS,
    next_step,
    onboarding_start,
    onboarding_step_set,
    profile_update,
    remember_next_step,
)

State = OnboardingProgress.State


class ProfileForm(forms.Form):
    """The person's name, time zone and currency (saved by finance.services.onboarding.profile_update)."""

    full_name = forms.CharField(label="Your name", max_length=150, required=False)
    timezone = forms.ChoiceField(
        label="Time zone", choices=TIMEZONE_CHOICES, help_text="Dates and due dates follow it."
    )
    currency = forms.ChoiceField(
        label="Currency", choices=CURRENCY_CHOICES, help_text="Totals and charts are shown in it."
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        kwargs.setdefault(
            "initial", {"full_name": user.full_name, "timezone": user.timezone, "currency": user.currency}
        )
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["full_name"].widget.attrs.update(autocomplete="name")
        # static/js/app.js picks the browser's time zone while this is still the default.
        self.fields["timezone"].widget.attrs["data-detect-timezone"] = ""

    def save(self) -> User:
        data = self.cleaned_data
        return profile_update(
            user=self.user,
            full_name=data["full_name"],
            timezone_name=data["timezone"],
            currency=data["currency"],
        )


def url_or_none(name: str) -> str | None:
    """The URL of a page another part of the app may not have built yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def _go_on(request: HttpRequest, progress: OnboardingProgress) -> HttpResponse:
    remember_next_step(request, progress)
    step = next_step(progress)
    if step is None:
        messages.success(request, "You're all set. Here's your dashboard.")
        return redirect("finance:dashboard")
    return redirect("finance:onboarding-step", step=step)


def _done_elsewhere(uid: int, progress: OnboardingProgress) -> OnboardingProgress:
    """Steps finished on their own pages (a bank connected, credit consent given) count as done."""
    if progress.bank != State.DONE and PlaidItem.objects.filter(user_id=uid).exists():
        progress = onboarding_step_set(user_id=uid, step="bank", state=State.DONE)
    if progress.credit != State.DONE and CreditProfile.objects.filter(user_id=uid).exists():
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
        context["items"] = list(PlaidItem.objects.filter(user_id=uid).order_by("institution_name", "id"))
    elif step == "credit":
        context["consent_url"] = url_or_none("finance:credit-consent")
        context["has_consent"] = progress.credit == State.DONE
    elif step == "plan":
        from billing.selectors import entitlements_for_request

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
