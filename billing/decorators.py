"""Gates for HTML views. A refused person gets an upgrade page (403) with a link to the plans, never a 500.

@login_required
@entitlement_required("csv_export")
def export(request): ...
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing.plans import FEATURES, plans_with
from billing.selectors import entitlements_for_request

View = Callable[..., HttpResponse]


def upgrade_response(request: HttpRequest, message: str, *, feature: str | None = None) -> HttpResponse:
    """The upgrade prompt: what is not included, which plans include it, and where to get one."""
    context = {
        "message": message,
        "feature": feature,
        "plans": plans_with(feature) if feature else [],
        "entitlements": entitlements_for_request(request),
    }
    return render(request, "billing/upgrade_required.html", context, status=403)


def feature_message(feature: str) -> str:
    names = " and ".join(plan.name for plan in plans_with(feature))
    return f"{FEATURES[feature]} {'is' if feature != 'api_access' else 'are'} part of the {names} plans."


def entitlement_required(feature: str) -> Callable[[View], View]:
    """Let the view run only for people whose plan includes `feature` (see billing.plans.FEATURES)."""
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}; known: {sorted(FEATURES)}")

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not entitlements_for_request(request).allows(feature):
                return upgrade_response(request, feature_message(feature), feature=feature)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


def plan_required(view: View) -> View:
    """Let the view run for anyone on a trial or a plan; expired accounts are read-only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if entitlements_for_request(request).read_only:
            message = "Your account is read-only until you choose a plan: your data is safe and still here."
            return upgrade_response(request, message)
        return view(request, *args, **kwargs)

    return wrapped
