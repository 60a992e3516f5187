"""Reads: what a person's plan entitles them to, and their billing rows.

Tenant rows are read inside `tenant_context(user)`, so these work the same from a request, a worker
or the API-key authentication (which runs before DRF sets the tenant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from billing.models import BillingCustomer, Subscription
from billing.plans import EXPIRED, TRIAL, Cadence, Plan
from creditapp.tenancy.db import tenant_context


@dataclass(frozen=True)
class Entitlements:
    """What one person may use right now, and why.

    `status`: "active" or "trialing" (a Stripe subscription), "past_due" (payment failed, within the
    grace period), "trial" (the app-level trial), or "expired" (read-only).
    """

    plan: Plan
    status: str
    subscription: Subscription | None = None
    trial_ends_at: datetime | None = None
    grace_ends_at: datetime | None = None
    latest: Subscription | None = field(default=None, compare=False)  # the newest row, for messages

    @property
    def api_access(self) -> bool:
        return self.plan.api_access

    @property
    def email_summaries(self) -> bool:
        return self.plan.email_summaries

    @property
    def credit_refresh(self) -> Cadence | None:
        return self.plan.credit_refresh

    @property
    def max_institutions(self) -> int:
        return self.plan.max_institutions

    @property
    def csv_export(self) -> bool:
        return self.plan.csv_export

    @property
    def advanced_charts(self) -> bool:
        return self.plan.advanced_charts

    @property
    def family_sharing(self) -> bool:
        return self.plan.family_sharing

    @property
    def read_only(self) -> bool:
        return self.status == "expired"

    def allows(self, feature: str) -> bool:
        return bool(getattr(self.plan, feature))


def subscriptions_for(*, user_id: int) -> QuerySet[Subscription]:
    return Subscription.objects.filter(user_id=user_id).order_by("-created_at", "-id")


def billing_customer_id(*, user_id: int) -> str | None:
    with tenant_context(user_id):
        return (
            BillingCustomer.objects.filter(user_id=user_id)
            .values_list("stripe_customer_id", flat=True)
            .first()
        )


def live_subscription(*, user_id: int) -> Subscription | None:
    """The subscription Stripe still bills, if any: changes go through the portal, not a new Checkout."""
    with tenant_context(user_id):
        return subscriptions_for(user_id=user_id).filter(status__in=Subscription.LIVE_STATUSES).first()


def had_trial(*, user_id: int) -> bool:
    with tenant_context(user_id):
        return subscriptions_for(user_id=user_id).filter(trial_end__isnull=False).exists()


def entitlements(user: Any, *, at: datetime | None = None) -> Entitlements:
    """The entitlements of `user` at `at` (default now). Anonymous people get none."""
    at = at or timezone.now()
    if user is None or not user.is_authenticated:
        return Entitlements(plan=EXPIRED, status="expired")
    with tenant_context(user.pk):
        rows = list(subscriptions_for(user_id=user.pk))
    granting = [row for row in rows if row.grants_at(at)]
    latest = rows[0] if rows else None
    if granting:
        best = max(granting, key=lambda row: (row.plan_info.rank if row.plan_info else 0, row.created_at))
        assert best.plan_info is not None
        trialing = best.status == Subscription.Status.TRIALING
        return Entitlements(
            plan=best.plan_info, status=best.status, subscription=best, grace_ends_at=best.grace_ends_at(),
            trial_ends_at=best.trial_end if trialing else None, latest=latest,
        )  # fmt: skip
    trial_ends_at = user.date_joined + timedelta(days=settings.TRIAL_DAYS)
    if at < trial_ends_at:
        return Entitlements(plan=TRIAL, status="trial", trial_ends_at=trial_ends_at, latest=latest)
    return Entitlements(plan=EXPIRED, status="expired", trial_ends_at=trial_ends_at, latest=latest)


def entitlements_for_request(request: Any) -> Entitlements:
    """`entitlements(request.user)`, computed once per request (Django's or DRF's request: the user
    is whichever one authenticated it)."""
    cached = getattr(request, "_billing_entitlements", None)
    if cached is None or cached[0] != request.user.pk:
        cached = (request.user.pk, entitlements(request.user))
        request._billing_entitlements = cached
    return cached[1]


# --- the institution limit (called by finance's "connect a bank" view) -----------------------------
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
    from finance.models import PlaidItem

    plan = entitlements(user, at=at).plan
    with tenant_context(user.pk):
        used = PlaidItem.objects.filter(user_id=user.pk).count()
    return InstitutionAllowance(used=used, limit=plan.max_institutions, plan=plan)
