"""Billing in templates: `{% load billing_tags %}`.

`{% billing_banner %}` is the trial / expiry / payment-failed banner. The plan tags read
billing/plans.py when the page renders, so every page that describes a plan says what the plan
grants: `{% public_plans as plans %}` then `plan.feature_lines` and `{% plan_comparison plans %}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template
from django.conf import settings

from billing import plans as plan_table
from billing.selectors import entitlements_for_request

register = template.Library()


@register.inclusion_tag("billing/_banner.html", takes_context=True)
def billing_banner(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"entitlements": None}
    return {"entitlements": entitlements_for_request(request)}


@register.simple_tag(takes_context=True)
def current_entitlements(context: dict[str, Any]) -> Any:
    """`{% current_entitlements as entitlements %}`: what the signed-in person's plan includes."""
    return entitlements_for_request(context["request"])


@register.simple_tag
def public_plans() -> tuple[plan_table.Plan, ...]:
    """The plans a visitor can start with: the free trial, then the paid plans, cheapest first."""
    return (plan_table.PLANS["trial"], *plan_table.PAID_PLANS)


@register.simple_tag
def plan_named(code: str) -> plan_table.Plan:
    return plan_table.PLANS[code]


@register.simple_tag
def plan_comparison(plans: tuple[plan_table.Plan, ...]) -> list[plan_table.ComparisonRow]:
    return plan_table.comparison(plans)


@register.simple_tag
def every_plan() -> tuple[str, ...]:
    return plan_table.EVERY_PLAN


@register.simple_tag
def plan_names_with(feature: str) -> str:
    """ "Pro and Family": the paid plans that include `feature`."""
    names = [plan.name for plan in plan_table.plans_with(feature)]
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)


@register.simple_tag
def trial_days() -> int:
    return int(settings.TRIAL_DAYS)


@register.filter
def for_plan(by_code: Mapping[str, Any], plan: plan_table.Plan) -> Any:
    """`prices|for_plan:plan`: a plan's entry in a mapping keyed by plan code."""
    return by_code.get(plan.code) if by_code else None
