from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import ApiKey
from billing.selectors import entitlements_for_request


class EntitlementsSerializer(serializers.Serializer[Any]):
    api_access = serializers.BooleanField()
    email_summaries = serializers.BooleanField()
    credit_refresh = serializers.CharField(allow_null=True, help_text="monthly, weekly, or null")
    max_institutions = serializers.IntegerField()
    csv_export = serializers.BooleanField()
    advanced_charts = serializers.BooleanField()
    family_sharing = serializers.BooleanField()


class SubscriptionSerializer(serializers.Serializer[Any]):
    plan = serializers.CharField(source="plan.code", help_text="trial, basic, pro, family or expired")
    status = serializers.CharField(help_text="active, trialing, past_due, trial or expired")
    interval = serializers.CharField(source="subscription.interval", default=None, allow_null=True)
    current_period_end = serializers.DateTimeField(source="subscription.current_period_end", default=None)
    cancel_at_period_end = serializers.BooleanField(source="subscription.cancel_at_period_end", default=False)
    trial_ends_at = serializers.DateTimeField(allow_null=True)
    grace_ends_at = serializers.DateTimeField(allow_null=True)
    entitlements = EntitlementsSerializer(source="*")


class RateLimitsSerializer(serializers.Serializer[Any]):
    read = serializers.CharField(help_text="Reads (GET) per window, e.g. 600/min.")
    write = serializers.CharField(help_text="Writes (POST, PATCH, PUT, DELETE) per window.")
    sync = serializers.CharField(help_text="Connection sync requests per window.")


class KeySerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    prefix = serializers.CharField()
    scope = serializers.ChoiceField(choices=["read", "read_write"])
    expires_at = serializers.DateTimeField(allow_null=True)


class MeSerializer(serializers.Serializer[Any]):
    """Read from the request: the signed-in person, their plan, and the key that signed the request."""

    id = serializers.IntegerField(source="user.pk")
    email = serializers.EmailField(source="user.email")
    timezone = serializers.CharField(source="user.timezone", help_text="IANA name, e.g. America/Chicago.")
    currency = serializers.CharField(source="user.currency", help_text="ISO 4217 code of reports and totals.")
    plan = serializers.SerializerMethodField()
    rate_limits = serializers.SerializerMethodField()
    key = serializers.SerializerMethodField(help_text="The API key this request used; null with a session.")

    @extend_schema_field(SubscriptionSerializer)
    def get_plan(self, request: Any) -> dict[str, Any]:
        return dict(SubscriptionSerializer(entitlements_for_request(request)).data)

    @extend_schema_field(RateLimitsSerializer)
    def get_rate_limits(self, request: Any) -> dict[str, str]:
        limits = settings.API_RATE_LIMITS
        return dict(limits.get(entitlements_for_request(request).plan.code, limits["default"]))

    @extend_schema_field(KeySerializer(allow_null=True))
    def get_key(self, request: Any) -> dict[str, Any] | None:
        key = request.auth
        return dict(KeySerializer(key).data) if isinstance(key, ApiKey) else None
