"""Spending summaries: totals by category, merchant or month over any range, the numbers the dashboard
and the transactions page show for the same range, cached and fresh after every change."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from creditapp.api.views import ApiView
from creditapp.core.localtime import local_today
from creditapp.core.request import user_id
from finance.api.params import KnownQueryParametersMixin
from finance.insights.spending import GROUPS, month_start, months_between, spending_summary

MAX_MONTHS = 600  # fifty years: a range the charts could ever draw


class SpendingQuerySerializer(serializers.Serializer[Any]):
    group_by = serializers.ChoiceField(
        choices=GROUPS, default="category", help_text="Totals per primary category, merchant or month."
    )
    date_from = serializers.DateField(
        required=False,
        help_text="On or after this date (YYYY-MM-DD). Defaults to the first of the month of `date_to` "
        "(eleven months earlier when grouping by month), as the dashboard's charts.",
    )
    date_to = serializers.DateField(
        required=False, help_text="On or before this date; defaults to your today."
    )
    account = serializers.IntegerField(required=False, min_value=1, help_text="Only this account's id.")
    currency = serializers.RegexField(
        r"^[A-Z]{3}\Z",
        required=False,
        help_text="Totals of transactions in this currency; defaults to yours.",
    )


class SpendingRowSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(
        help_text="The primary category code, the merchant's match key, or the month (YYYY-MM)."
    )
    label = serializers.CharField()  # type: ignore[assignment]
    spending_minor = serializers.IntegerField(help_text="Spent, in minor units (refunds reduce it).")
    income_minor = serializers.IntegerField(help_text="Received, in minor units.")
    transactions = serializers.IntegerField(help_text="Transactions counted (transfers are not).")


class SpendingSerializer(serializers.Serializer[Any]):
    group_by = serializers.ChoiceField(choices=GROUPS)
    currency = serializers.CharField()
    date_from = serializers.DateField(source="start")
    date_to = serializers.DateField(source="end")
    account = serializers.IntegerField(source="account_id", allow_null=True)
    spending_minor = serializers.IntegerField(help_text="Spent over the whole range, in minor units.")
    income_minor = serializers.IntegerField(help_text="Received over the whole range, in minor units.")
    results = SpendingRowSerializer(source="rows", many=True)


class SpendingView(KnownQueryParametersMixin, ApiView):
    query_parameters = frozenset(SpendingQuerySerializer().fields)

    @extend_schema(
        parameters=[SpendingQuerySerializer],
        responses=SpendingSerializer,
        description="What you spent and received over a range, per primary category, merchant or month, in "
        "minor units of one currency. Spending and income are counted as on the dashboard: posted "
        "transactions on cash and card accounts that you did not hide, transfers between your own accounts "
        "and card payments left out; refunds reduce spending. Both totals are positive. Grouped by month, "
        "every month of the range is listed, empty ones too.",
    )
    def get(self, request: Request) -> Response:
        query = SpendingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params: dict[str, Any] = query.validated_data
        user = request.user
        group_by = params["group_by"]
        end = params.get("date_to") or local_today(user.timezone)  # type: ignore[union-attr]
        start = params.get("date_from") or month_start(end, 11 if group_by == "month" else 0)
        if start > end:
            raise ValidationError({"date_to": ["The end date is before the start date."]})
        if months_between(start, end) > MAX_MONTHS:
            raise ValidationError({"date_from": [f"A range is at most {MAX_MONTHS // 12} years."]})
        summary = spending_summary(
            user_id=user_id(request),
            joined=user.date_joined,  # type: ignore[union-attr]
            currency=params.get("currency") or user.currency,  # type: ignore[union-attr]
            start=start,
            end=end,
            group_by=group_by,
            account_id=params.get("account"),
        )
        return Response(SpendingSerializer(summary).data)
