"""The plan's limit on bank connections, checked before "connect a bank"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse

from billing.decorators import View, upgrade_response
from billing.plans import EXPIRED, Plan
from billing.selectors import entitlements
from finance.banking.models import PlaidItem


@dataclass(frozen=True)
class InstitutionAllowance:
    used: int
    limit: int
    plan: Plan

    @property
    def allowed(self) -> bool:
        return self.used < self.limit

    @property
    def message(self) -> str:
        if self.plan is EXPIRED:
            return "Your free trial has ended. Choose a plan to connect banks and keep your data up to date."
        return (
            f"The {self.plan.name} plan connects up to {self.limit} bank{'s' if self.limit != 1 else ''}, "
            f"and you have {self.used}. Upgrade to connect more."
        )


def institution_allowance(user: Any, *, at: datetime | None = None) -> InstitutionAllowance:
    """How many bank connections `user` has and may have; `.allowed` says whether one more fits."""
    plan = entitlements(user, at=at).plan
    used = PlaidItem.objects.for_user(user.pk).count()
    return InstitutionAllowance(used=used, limit=plan.max_institutions, plan=plan)


def institution_slot_required(view: View) -> View:
    """For "connect a bank": refuse when the plan's institution limit is reached."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowance = institution_allowance(request.user)
        if not allowance.allowed:
            return upgrade_response(request, allowance.message)
        return view(request, *args, **kwargs)

    return wrapped
