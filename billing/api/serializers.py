from __future__ import annotations

from typing import Any

from rest_framework import serializers


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
