"""The finance REST API (Pro and Family): accounts and transactions, read-only, the caller's own only.

Every view is a tenancy view (DRF's user becomes the tenant) and filters by that user explicitly too.
"""

from __future__ import annotations

import re

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

from creditapp.api.views import TenantReadOnlyModelViewSet
from finance.api.serializers import AccountSerializer, TransactionSerializer
from finance.insights.filters import TransactionFilter
from finance.models import Account, Transaction

BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class NewestFirstCursor(CursorPagination):
    """Opaque cursors over (date, id), newest first: page N costs what page 1 does.

    A cursor or page size that cannot be read is a 400 naming the parameter, as the filters answer.
    """

    ordering = ("-date", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = "Results per page, 1 to 500 (50 when not given)."
    max_page_size = 500
    invalid_cursor_message = "Invalid cursor: use the `next` or `previous` link of a page as it is."

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        # DRF skips characters outside base64's alphabet, so junk would quietly read as the first page.
        if encoded is not None and not BASE64.fullmatch(encoded):
            raise self._invalid_cursor()
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid_cursor() from None
        if cursor is not None and cursor.position is not None:
            # The position is compared with the first ordering column in SQL: it must read as one.
            try:
                Transaction._meta.get_field("date").to_python(cursor.position)
            except DjangoValidationError:
                raise self._invalid_cursor() from None
        return cursor

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return int(field.run_validation(raw))
        except ValidationError as error:
            raise ValidationError({self.page_size_query_param: error.detail}) from None


@extend_schema_view(
    list=extend_schema(description="Your bank and card accounts."),
    retrieve=extend_schema(description="One of your accounts (404 when it is not yours)."),
)
class AccountViewSet(TenantReadOnlyModelViewSet):
    serializer_class = AccountSerializer
    pagination_class = None  # a person has tens of accounts, not thousands
    queryset = Account.objects.all()

    def safely_get_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        return queryset.order_by("institution_name", "name", "id")


@extend_schema_view(
    list=extend_schema(
        description="Your transactions, newest first, cursor-paginated; filter by date range and account."
    ),
    retrieve=extend_schema(description="One of your transactions (404 when it is not yours)."),
)
class TransactionViewSet(TenantReadOnlyModelViewSet):
    serializer_class = TransactionSerializer
    pagination_class = NewestFirstCursor
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = TransactionFilter
    queryset = Transaction.objects.all()
