"""API rate limits by plan: the rates each plan gets per kind of operation are in settings."""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request

from billing.selectors import entitlements_for_request
from creditapp.api.throttling import KindRateThrottle, Rate


class PlanRateThrottle(KindRateThrottle):
    def rate_for(self, request: Request, kind: str) -> Rate:
        limits = settings.API_RATE_LIMITS
        plan = entitlements_for_request(request).plan.code
        return Rate.parse(limits.get(plan, limits["default"])[kind])
