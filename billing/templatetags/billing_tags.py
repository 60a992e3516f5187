"""`{% load billing_tags %}{% billing_banner %}`: the trial / expiry / payment-failed banner."""

from __future__ import annotations

from typing import Any

from django import template

from billing.selectors import entitlements_for_request

register = template.Library()


@register.inclusion_tag("billing/_banner.html", takes_context=True)
def billing_banner(context: dict[str, Any]) -> dict[str, Any]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"entitlements": None}
    return {"entitlements": entitlements_for_request(request)}
