"""Credit: score history and the stored Experian pulls, each with its score factors, the accounts on the
report and its inquiries, as the credit pages show them (they read the same selectors).

Account numbers are never whole here: we store only their last four digits (finance.credit.parser cuts
them before anything is saved), and that is all a tradeline carries.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from creditapp.api.errors import ApiError, error_body
from creditapp.api.pagination import KeysetPagination
from creditapp.api.schema import ErrorSerializer
from creditapp.api.views import TenantGenericViewSet
from creditapp.core.request import user_id
from finance.api.params import KnownQueryParametersMixin
from finance.credit.selectors import (
    ReportChanges,
    headline_score,
    latest_reports,
    report_before,
    report_changes,
    report_pulls_for,
    reports_for,
    scores_for,
)
from finance.models import CreditReport, CreditScore, Inquiry, ScoreFactor, Tradeline

# Experian reports whole US dollars; the parser stores them as cents.
REPORT_CURRENCY = "USD"
NO_REPORT_MESSAGE = (
    "You have no credit report yet: give your consent on the Credit page of the app, and your first "
    "Experian report arrives a few seconds later."
)


# --- scores -------------------------------------------------------------------------------------------
class CreditScoreSerializer(serializers.ModelSerializer[CreditScore]):
    score = serializers.IntegerField(
        source="value",
        read_only=True,
        allow_null=True,
        help_text="300 to 850; null when Experian could not score the file on that date.",
    )
    model = serializers.CharField(read_only=True, help_text="Experian's model code: `V4`, `FICO8`, …")
    model_name = serializers.CharField(read_only=True, help_text="`VantageScore 4.0`, …")
    band = serializers.CharField(
        read_only=True,
        help_text="The model's published range the score falls in: `Excellent`, `Good`, `Fair`, … "
        "(`No score` when there is none).",
    )
    report_id = serializers.IntegerField(read_only=True, help_text="The pull this score came with.")

    class Meta:
        model = CreditScore
        fields = ["id", "date", "score", "model", "model_name", "band", "report_id"]
        read_only_fields = fields


class ScorePagination(KeysetPagination):
    ordering = ("-date", "-id")


@extend_schema(
    description="Your credit score history, newest first, cursor-paginated: one score per model per "
    "pull (the app's chart draws the headline model's)."
)
class ScoreViewSet(KnownQueryParametersMixin, mixins.ListModelMixin, TenantGenericViewSet):
    serializer_class = CreditScoreSerializer
    pagination_class = ScorePagination
    queryset = CreditScore.objects.all()

    def safely_get_queryset(self, queryset: QuerySet[CreditScore]) -> QuerySet[CreditScore]:
        return scores_for(user_id=user_id(self.request))


# --- reports ------------------------------------------------------------------------------------------
class ScoreFactorSerializer(serializers.ModelSerializer[ScoreFactor]):
    model = serializers.CharField(read_only=True, help_text="The score model this factor explains.")
    rank = serializers.IntegerField(read_only=True, help_text="1 weighs most.")
    code = serializers.CharField(read_only=True, help_text="Experian's reason code.")
    text = serializers.CharField(read_only=True, help_text="The reason, as the app shows it.")

    class Meta:
        model = ScoreFactor
        fields = ["model", "rank", "code", "text"]
        read_only_fields = fields


class TradelineSerializer(serializers.ModelSerializer[Tradeline]):
    """An account on the report. Amounts are minor units of `currency`."""

    account_last4 = serializers.CharField(
        read_only=True,
        help_text='The last four digits of the account number ("" when the report showed none). '
        "The whole number is never stored, so it is never shown.",
    )
    type = serializers.CharField(source="account_type", read_only=True, help_text="Experian's account type.")
    type_label = serializers.CharField(read_only=True, help_text="`Credit card`, `Auto loan`, …")
    status_label = serializers.CharField(read_only=True, help_text="The status as the app words it.")
    utilisation_bp = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="A revolving account's balance as basis points of its limit (3000 = 30 %); null otherwise.",
    )
    late_months = serializers.IntegerField(
        read_only=True, help_text="Months marked late in `payment_history`."
    )

    class Meta:
        model = Tradeline
        fields = [
            "id", "creditor", "account_last4", "type", "type_label", "revolving", "is_open", "opened_on",
            "currency", "balance_minor", "balance_date", "limit_minor", "utilisation_bp",
            "high_balance_minor", "original_amount_minor", "monthly_payment_minor", "past_due_minor",
            "last_payment_on", "status", "status_label", "payment_history", "late_months",
        ]  # fmt: skip
        read_only_fields = fields


class InquirySerializer(serializers.ModelSerializer[Inquiry]):
    kind = serializers.SerializerMethodField(
        help_text="Always `hard`: the report lists the pulls lenders made when you applied for credit. "
        "Soft inquiries (your own checks, including this app's) are not on it and never affect your score."
    )
    type_label = serializers.CharField(read_only=True, help_text="The kind of credit applied for.")

    class Meta:
        model = Inquiry
        fields = [
            "id", "kind", "inquired_on", "subscriber_name", "subscriber_code", "kind_of_business",
            "credit_type", "type_label", "amount_minor", "currency",
        ]  # fmt: skip
        read_only_fields = fields

    def get_kind(self, inquiry: Inquiry) -> str:
        return "hard"


class CreditSummarySerializer(serializers.Serializer[Any]):
    """The report's own totals; a value Experian did not give is null."""

    currency = serializers.SerializerMethodField()
    revolving_balance_minor = serializers.IntegerField(allow_null=True, help_text="Card balances.")
    installment_balance_minor = serializers.IntegerField(allow_null=True, help_text="Loan balances.")
    real_estate_balance_minor = serializers.IntegerField(allow_null=True)
    past_due_minor = serializers.IntegerField(allow_null=True)
    monthly_payment_minor = serializers.IntegerField(allow_null=True)
    real_estate_payment_minor = serializers.IntegerField(allow_null=True)
    revolving_available_percent = serializers.IntegerField(allow_null=True)
    total_inquiries = serializers.IntegerField(allow_null=True)
    inquiries_last_6_months = serializers.IntegerField(allow_null=True)
    total_tradelines = serializers.IntegerField(allow_null=True)
    now_delinquent = serializers.IntegerField(allow_null=True)
    was_delinquent = serializers.IntegerField(allow_null=True)
    public_records = serializers.IntegerField(allow_null=True)
    delinquencies_30_days = serializers.IntegerField(allow_null=True)
    delinquencies_60_days = serializers.IntegerField(allow_null=True)
    delinquencies_90_to_180_days = serializers.IntegerField(allow_null=True)
    derogatory_items = serializers.IntegerField(allow_null=True)
    oldest_tradeline_date = serializers.DateField(allow_null=True)

    def get_currency(self, summary: Any) -> str:
        return REPORT_CURRENCY


class ReportChangesSerializer(serializers.Serializer[ReportChanges]):
    """What this pull shows that the pull before it did not, as the report page lists it."""

    previous_report_id = serializers.SerializerMethodField(
        help_text="The pull compared with; null for your first, when every other field is empty."
    )
    score_before = serializers.IntegerField(allow_null=True)
    score_after = serializers.IntegerField(allow_null=True)
    score_delta = serializers.IntegerField(allow_null=True)
    new_inquiry_ids = serializers.SerializerMethodField(help_text="Ids in `inquiries`.")
    new_tradeline_ids = serializers.SerializerMethodField(help_text="Ids in `tradelines`: accounts opened.")
    closed_tradeline_ids = serializers.SerializerMethodField(
        help_text="Ids in `tradelines`: accounts open on the previous report, closed on this one."
    )
    revolving_balance_delta_minor = serializers.IntegerField(
        allow_null=True, help_text="How far card balances moved (positive: up), in minor units of USD."
    )

    def get_previous_report_id(self, changes: ReportChanges) -> int | None:
        return changes.previous.pk if changes.previous else None

    def get_new_inquiry_ids(self, changes: ReportChanges) -> list[int]:
        return [inquiry.pk for inquiry in changes.new_inquiries]

    def get_new_tradeline_ids(self, changes: ReportChanges) -> list[int]:
        return [tradeline.pk for tradeline in changes.new_tradelines]

    def get_closed_tradeline_ids(self, changes: ReportChanges) -> list[int]:
        return [tradeline.pk for tradeline in changes.closed_tradelines]


class CreditReportSerializer(serializers.ModelSerializer[CreditReport]):
    """One Experian pull, as a list shows it."""

    score = serializers.SerializerMethodField(
        help_text="The headline score (the model the app asks for); null when the file had none."
    )

    class Meta:
        model = CreditReport
        fields = ["id", "pulled_at", "report_date", "status", "trigger", "score"]
        read_only_fields = fields

    @extend_schema_field(CreditScoreSerializer(allow_null=True))
    def get_score(self, report: CreditReport) -> dict[str, Any] | None:
        score = headline_score(report)
        return CreditScoreSerializer(score).data if score else None


class CreditReportDetailSerializer(CreditReportSerializer):
    """One pull in full: pass the pull before it as `previous` in the context, for `changes`."""

    scores = CreditScoreSerializer(many=True, read_only=True, help_text="Every model's score in this pull.")
    factors = serializers.SerializerMethodField(
        help_text="Why the score is not higher, per model, the weightiest first."
    )
    summary = CreditSummarySerializer(read_only=True)
    tradelines = TradelineSerializer(many=True, read_only=True, help_text="Open accounts first.")
    inquiries = InquirySerializer(many=True, read_only=True, help_text="Newest first.")
    changes = serializers.SerializerMethodField()

    class Meta(CreditReportSerializer.Meta):
        fields = [
            *CreditReportSerializer.Meta.fields, "scores", "factors", "summary", "tradelines", "inquiries",
            "changes",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ScoreFactorSerializer(many=True))
    def get_factors(self, report: CreditReport) -> list[Any]:
        factors = sorted(report.factors.all(), key=lambda factor: (factor.model, factor.rank, factor.pk))
        return list(ScoreFactorSerializer(factors, many=True).data)

    @extend_schema_field(ReportChangesSerializer)
    def get_changes(self, report: CreditReport) -> dict[str, Any]:
        return dict(ReportChangesSerializer(report_changes(report, self.context.get("previous"))).data)


class ReportPagination(KeysetPagination):
    ordering = ("-pulled_at", "-id")


NO_REPORT = OpenApiResponse(
    ErrorSerializer,
    description="You have no credit report yet.",
    examples=[
        OpenApiExample(
            "no_credit_report",
            summary="No pull has been stored yet",
            value=error_body("no_credit_report", NO_REPORT_MESSAGE),
        )
    ],
)


class ReportViewSet(
    KnownQueryParametersMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantGenericViewSet
):
    pagination_class = ReportPagination
    queryset = CreditReport.objects.all()
    lookup_value_regex = r"\d+"

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return CreditReportSerializer if self.action == "list" else CreditReportDetailSerializer

    def safely_get_queryset(self, queryset: QuerySet[CreditReport]) -> QuerySet[CreditReport]:
        uid = user_id(self.request)
        return report_pulls_for(user_id=uid) if self.action == "list" else reports_for(user_id=uid)

    def _detail(self, report: CreditReport, previous: CreditReport | None) -> Response:
        return Response(CreditReportDetailSerializer(report, context={"previous": previous}).data)

    @extend_schema(
        description="Your Experian pulls, newest first, cursor-paginated, each with its headline score. "
        "The full report is at `/credit/reports/{id}/`."
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(
        description="One pull in full (404 when it is not yours): scores, score factors, the report's "
        "totals, its accounts (last four digits of each number only), inquiries, and what changed since "
        "the pull before."
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report = self.get_object()
        return self._detail(report, report_before(report, user_id=user_id(request)))

    @extend_schema(
        description="Your newest pull in full, as `/credit/reports/{id}/` shows it; a 404 "
        "(`no_credit_report`) until your first report arrives.",
        responses={200: CreditReportDetailSerializer, 404: NO_REPORT},
    )
    @action(detail=False, methods=["get"])
    def latest(self, request: Request) -> Response:
        newest = latest_reports(user_id=user_id(request), count=2)
        if not newest:
            raise ApiError(404, "no_credit_report", NO_REPORT_MESSAGE)
        return self._detail(newest[0], newest[1] if len(newest) > 1 else None)


router = SimpleRouter()
router.register("credit/scores", ScoreViewSet, basename="credit-score")
router.register("credit/reports", ReportViewSet, basename="credit-report")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
