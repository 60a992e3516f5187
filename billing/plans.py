"""Every plan and what it entitles, in one place. Stripe price ids come from `settings.STRIPE_PRICES`.

`trial` is the app-level trial (no card, from signup for TRIAL_DAYS); `expired` is what a person has
when no trial or subscription covers them: read-only, nothing that costs us money.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.conf import settings

Interval = Literal["monthly", "yearly"]
Cadence = Literal["monthly", "weekly"]

INTERVALS: tuple[Interval, ...] = ("monthly", "yearly")
# Stripe's `recurring.interval` for each of ours.
STRIPE_INTERVALS: dict[str, Interval] = {"month": "monthly", "year": "yearly"}


@dataclass(frozen=True)
class Plan:
    code: str
    name: str
    rank: int  # a higher plan wins when a person somehow holds two subscriptions
    api_access: bool
    email_summaries: bool
    credit_refresh: Cadence | None
    max_institutions: int
    csv_export: bool
    advanced_charts: bool
    family_sharing: bool  # reserved: nothing reads it yet
    paid: bool = True

    def price_id(self, interval: Interval) -> str:
        return str(settings.STRIPE_PRICES[f"{self.code}_{interval}"])


EXPIRED = Plan(
    "expired", "No plan", rank=0, api_access=False, email_summaries=False, credit_refresh=None,
    max_institutions=0, csv_export=False, advanced_charts=False, family_sharing=False, paid=False,
)  # fmt: skip
TRIAL = Plan(
    "trial", "Free trial", rank=1, api_access=False, email_summaries=True, credit_refresh="monthly",
    max_institutions=2, csv_export=True, advanced_charts=False, family_sharing=False, paid=False,
)  # fmt: skip
BASIC = Plan(
    "basic", "Basic", rank=2, api_access=False, email_summaries=True, credit_refresh="monthly",
    max_institutions=3, csv_export=True, advanced_charts=False, family_sharing=False,
)  # fmt: skip
PRO = Plan(
    "pro", "Pro", rank=3, api_access=True, email_summaries=True, credit_refresh="weekly",
    max_institutions=10, csv_export=True, advanced_charts=True, family_sharing=False,
)  # fmt: skip
FAMILY = Plan(
    "family", "Family", rank=4, api_access=True, email_summaries=True, credit_refresh="weekly",
    max_institutions=20, csv_export=True, advanced_charts=True, family_sharing=True,
)  # fmt: skip

PAID_PLANS: tuple[Plan, ...] = (BASIC, PRO, FAMILY)
PLANS: dict[str, Plan] = {plan.code: plan for plan in (EXPIRED, TRIAL, *PAID_PLANS)}

# The yes/no features a view or API endpoint can be gated on, with how the upgrade prompt names them.
FEATURES: dict[str, str] = {
    "api_access": "The REST API and personal API keys",
    "email_summaries": "Email summaries",
    "csv_export": "CSV export",
    "advanced_charts": "Advanced charts",
    "family_sharing": "Family sharing",
}


def paid_plan(code: str) -> Plan | None:
    plan = PLANS.get(code)
    return plan if plan is not None and plan.paid else None


def plan_for_price(price_id: str) -> tuple[Plan, Interval] | None:
    """Which of our plans a Stripe price id sells, from the configured price ids."""
    for plan in PAID_PLANS:
        for interval in INTERVALS:
            if plan.price_id(interval) == price_id:
                return plan, interval
    return None


def plans_with(feature: str) -> list[Plan]:
    """The paid plans that include a feature, cheapest first (for the upgrade prompt)."""
    if feature not in FEATURES:
        raise ValueError(f"unknown feature {feature!r}; known: {sorted(FEATURES)}")
    return [plan for plan in PAID_PLANS if getattr(plan, feature)]
