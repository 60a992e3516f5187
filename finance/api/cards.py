"""Credit cards: each card's balance, limit and utilisation beside its latest statement (balance,
minimum payment, due date, overdue, APRs) from the bank's liabilities data, as the dashboard shows them."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from creditapp.api.views import TenantReadOnlyModelViewSet
from creditapp.core.request import user_id
from finance.api.params import KnownQueryParametersMixin
from finance.api.views import AccountPagination
from finance.insights.dashboard import UTILISATION_LINE_BP
from finance.models import Account, CardLiability


class AprSerializer(serializers.Serializer[Any]):
    type = serializers.CharField(help_text="purchase_apr, balance_transfer_apr, cash_apr or special.")
    apr_bp = serializers.IntegerField(allow_null=True, help_text="Basis points: 2499 = 24.99 %.")
    balance_subject_minor = serializers.IntegerField(allow_null=True, help_text="The balance it applies to.")


class CardSerializer(serializers.ModelSerializer[Account]):
    """A credit card account with its latest statement (from the bank's liabilities data)."""

    name = serializers.CharField(source="display_name", read_only=True, help_text="As the app names it.")
    balance_minor = serializers.IntegerField(
        source="current_balance_minor", read_only=True, allow_null=True, help_text="Owed now, in minor units."
    )
    available_credit_minor = serializers.IntegerField(
        source="available_balance_minor", read_only=True, allow_null=True
    )
    utilisation_bp = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The balance as basis points of the limit (3000 = 30 %)."
    )
    over_utilisation_line = serializers.SerializerMethodField(
        help_text=f"Whether utilisation is above {UTILISATION_LINE_BP // 100} %, where it starts to weigh "
        "on a credit score (the dashboard flags it)."
    )
    statement_balance_minor = serializers.IntegerField(
        source="liability.last_statement_balance_minor", read_only=True, default=None, allow_null=True
    )
    statement_issue_date = serializers.DateField(
        source="liability.last_statement_issue_date", read_only=True, default=None, allow_null=True
    )
    minimum_payment_minor = serializers.IntegerField(
        source="liability.minimum_payment_minor", read_only=True, default=None, allow_null=True
    )
    next_payment_due_date = serializers.DateField(
        source="liability.next_payment_due_date", read_only=True, default=None, allow_null=True
    )
    overdue = serializers.BooleanField(
        source="liability.is_overdue", read_only=True, default=False, help_text="The minimum payment is late."
    )
    last_payment_amount_minor = serializers.IntegerField(
        source="liability.last_payment_amount_minor", read_only=True, default=None, allow_null=True
    )
    last_payment_date = serializers.DateField(
        source="liability.last_payment_date", read_only=True, default=None, allow_null=True
    )
    purchase_apr_bp = serializers.IntegerField(
        source="liability.purchase_apr_bp",
        read_only=True,
        default=None,
        allow_null=True,
        help_text="The purchase APR in basis points (2499 = 24.99 %).",
    )
    aprs = AprSerializer(source="liability.aprs", many=True, read_only=True, default=list)
    statement_updated_at = serializers.DateTimeField(
        source="liability.updated_at", read_only=True, default=None, allow_null=True,
        help_text="When the statement facts last came from the bank; null before they first do.",
    )  # fmt: skip

    class Meta:
        model = Account
        fields = [
            "id", "name", "mask", "institution_name", "currency", "balance_minor", "credit_limit_minor",
            "available_credit_minor", "utilisation_bp", "over_utilisation_line", "statement_balance_minor",
            "statement_issue_date", "minimum_payment_minor", "next_payment_due_date", "overdue",
            "last_payment_amount_minor", "last_payment_date", "purchase_apr_bp", "aprs",
            "statement_updated_at",
        ]  # fmt: skip
        read_only_fields = fields

    def to_representation(self, instance: Account) -> dict[str, Any]:
        rows = getattr(instance, "liability_rows", [])
        instance.liability = rows[0] if rows else None  # type: ignore[attr-defined]
        return dict(super().to_representation(instance))

    def get_over_utilisation_line(self, account: Account) -> bool:
        return account.utilisation_bp is not None and account.utilisation_bp > UTILISATION_LINE_BP


@extend_schema_view(
    list=extend_schema(
        description="Your credit cards, cursor-paginated: utilisation, statement balance, minimum payment, "
        "due date, whether a payment is overdue, and APRs. Statement facts are null until the bank's "
        "liabilities data arrives."
    ),
    retrieve=extend_schema(description="One of your cards, by its account id (404 when it is not yours)."),
)
class CardViewSet(KnownQueryParametersMixin, TenantReadOnlyModelViewSet):
    serializer_class = CardSerializer
    pagination_class = AccountPagination
    queryset = Account.objects.all()

    def safely_get_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        statements = CardLiability.objects.for_user(user_id(self.request))
        return (
            queryset.filter(type=Account.Type.CREDIT)
            .prefetch_related(Prefetch("liabilities", queryset=statements, to_attr="liability_rows"))
            .order_by("institution_name", "name", "id")
        )
