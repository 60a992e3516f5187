"""Every plan and what it entitles, in one place. Stripe price ids come from `settings.STRIPE_PRICES`.

`trial` is the app-level trial (no card, from signup for TRIAL_DAYS); `expired` is what a person has
when no trial or subscription covers them: read-only, nothing that costs us money.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    family_sharing: bool
    paid: bool = True
    tagline: str = ""  # one line under the plan's name; what it includes comes from feature_lines()

    def price_id(self, interval: Interval) -> str:
        return str(settings.STRIPE_PRICES[f"{self.code}_{interval}"])

    def feature_lines(self) -> list[str]:
        """What this plan includes beyond EVERY_PLAN, one line each, from its entitlements: every page
        that describes a plan lists these, so a page can never promise more than the plan grants."""
        lines = []
        if self.max_institutions:
            lines.append(f"Up to {self.max_institutions} banks and cards")
        if self.credit_refresh:
            lines.append(f"Experian credit report and score, refreshed {self.credit_refresh}")
        lines.extend(label for feature, label in FEATURES.items() if getattr(self, feature))
        return lines


# Email summaries, advanced charts and family sharing are not built, so no plan grants them; the fields
# stay because the API's entitlements name them. Family differs from Pro in how many banks it links.
EXPIRED = Plan(
    "expired", "No plan", rank=0, api_access=False, email_summaries=False, credit_refresh=None,
    max_institutions=0, csv_export=False, advanced_charts=False, family_sharing=False, paid=False,
)  # fmt: skip
TRIAL = Plan(
    "trial", "Free trial", rank=1, api_access=False, email_summaries=False, credit_refresh="monthly",
    max_institutions=2, csv_export=True, advanced_charts=False, family_sharing=False, paid=False,
    tagline="See what it finds in your accounts and your credit.",
)  # fmt: skip
BASIC = Plan(
    "basic", "Basic", rank=2, api_access=False, email_summaries=False, credit_refresh="monthly",
    max_institutions=3, csv_export=True, advanced_charts=False, family_sharing=False,
    tagline="The essentials for your money, your cards and your credit.",
)  # fmt: skip
PRO = Plan(
    "pro", "Pro", rank=3, api_access=True, email_summaries=False, credit_refresh="weekly",
    max_institutions=10, csv_export=True, advanced_charts=False, family_sharing=False,
    tagline="A closer eye on your credit, more banks, and your data in your own tools.",
)  # fmt: skip
FAMILY = Plan(
    "family", "Family", rank=4, api_access=True, email_summaries=False, credit_refresh="weekly",
    max_institutions=20, csv_export=True, advanced_charts=False, family_sharing=False,
    tagline="Pro with room for more banks and cards, for a busy household.",
)  # fmt: skip

PAID_PLANS: tuple[Plan, ...] = (BASIC, PRO, FAMILY)
PLANS: dict[str, Plan] = {plan.code: plan for plan in (EXPIRED, TRIAL, *PAID_PLANS)}

# The yes/no features a view or API endpoint can be gated on, named as a plan's feature line and as
# the upgrade prompt's subject ("… are part of the Pro and Family plans").
FEATURES: dict[str, str] = {
    "csv_export": "CSV export of your transactions",
    "api_access": "REST API and personal API keys",
    "email_summaries": "Weekly or monthly email summaries",
    "advanced_charts": "Advanced charts",
    "family_sharing": "Family sharing",
}

# What every plan has, the trial included: the plans differ only in the entitlements above.
EVERY_PLAN: tuple[str, ...] = (
    "Balances and transactions, kept up to date",
    "Spending by category and month",
    "Card utilization, statements and due dates",
    "Credit score history with the factors behind it",
    "Alerts for new inquiries, new accounts and score changes",
    "Alerts for payments due, high utilization and unusual transactions",
    "CSV import of bank statements",
    "Two-factor authentication",
)


@dataclass(frozen=True)
class ComparisonRow:
    """One row of the plan comparison: each plan with its value, True/False for yes/no."""

    label: str
    cells: tuple[tuple[Plan, str | bool], ...]

    @property
    def values(self) -> tuple[str | bool, ...]:
        return tuple(value for _, value in self.cells)


def comparison(plans: Sequence[Plan]) -> list[ComparisonRow]:
    """How `plans` differ, a row per entitlement; a feature none of them has is left out."""

    def row(label: str, value: Callable[[Plan], str | bool]) -> ComparisonRow:
        return ComparisonRow(label, tuple((plan, value(plan)) for plan in plans))

    rows = [
        row("Linked banks and cards", lambda plan: f"Up to {plan.max_institutions}"),
        row(
            "Experian credit report and score",
            lambda plan: plan.credit_refresh.capitalize() if plan.credit_refresh else False,
        ),
    ]
    for feature, label in FEATURES.items():
        if any(getattr(plan, feature) for plan in plans):
            rows.append(row(label, _has(feature)))
    return rows


def _has(feature: str) -> Callable[[Plan], bool]:
    return lambda plan: bool(getattr(plan, feature))


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
