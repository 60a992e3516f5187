"""The finance REST API (Pro and Family): accounts and transactions, read-only, the caller's own only.

Every view is a tenancy view (DRF's user becomes the tenant) and filters by that user explicitly too.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.pagination import CursorPagination

from billing.api.base import ProApiMixin, api_user_id
from creditapp.tenancy.api import TenantReadOnlyModelViewSet
from finance.api.serializers import AccountSerializer, TransactionSerializer
from finance.models import Account, Transaction


class NewestFirstCursor(CursorPagination):
    """Opaque cursors over (date, id), newest first: page N costs what page 1 does."""

    ordering = ("-date", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class TransactionFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label="On or after (YYYY-MM-DD)"
    )
    date_to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label="On or before (YYYY-MM-DD)"
    )
    account = django_filters.NumberFilter(field_name="account_id", label="Only this account's id")

    class Meta:
        model = Transaction
        fields = ["date_from", "date_to", "account"]


@extend_schema_view(
    list=extend_schema(description="Your bank and card accounts."),
    retrieve=extend_schema(description="One of your accounts (404 when it is not yours)."),
)
class AccountViewSet(ProApiMixin, TenantReadOnlyModelViewSet):
    serializer_class = AccountSerializer
    pagination_class = None  # a person has tens of accounts, not thousands

    queryset = Account.objects.none()  # the schema's model; requests use get_queryset

    def get_queryset(self) -> QuerySet[Account]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Account.objects.none()
        return Account.objects.filter(user_id=api_user_id(self.request)).order_by(
            "institution_name", "name", "id"
        )


@extend_schema_view(
    list=extend_schema(
        description="Your transactions, newest first, cursor-paginated; filter by date range and account."
    ),
    retrieve=extend_schema(description="One of your transactions (404 when it is not yours)."),
)
class TransactionViewSet(ProApiMixin, TenantReadOnlyModelViewSet):
    serializer_class = TransactionSerializer
    pagination_class = NewestFirstCursor
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = TransactionFilter

    queryset = Transaction.objects.none()

    def get_queryset(self) -> QuerySet[Transaction]:
        if getattr(self, "swagger_fake_view", False):
            return Transaction.objects.none()
        return Transaction.objects.filter(user_id=api_user_id(self.request))
