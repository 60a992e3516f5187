"""Gates for the REST API: a refused request gets 402 with a message and where to upgrade."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from billing.decorators import feature_message
from billing.selectors import entitlements_for_request


class UpgradeRequired(APIException):
    status_code = status.HTTP_402_PAYMENT_REQUIRED
    default_detail = "Your plan does not include this."
    default_code = "upgrade_required"


def upgrade_required(feature: str) -> UpgradeRequired:
    return UpgradeRequired(
        {
            "detail": feature_message(feature),
            "code": "upgrade_required",
            "feature": feature,
            "upgrade_url": settings.SITE_URL + reverse("billing:plans"),
        }
    )


class HasEntitlement(BasePermission):
    """Subclass with `feature = "..."`; put it after IsAuthenticated."""

    feature = ""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if not entitlements_for_request(request).allows(self.feature):
            raise upgrade_required(self.feature)
        return True


class HasApiAccess(HasEntitlement):
    feature = "api_access"
