"""The finance REST API (Pro and Family): accounts, transactions and categories, the caller's own only.

Every view is a tenancy view (DRF's user becomes the tenant) and filters by that user explicitly too.
Reads and edits go through the selectors and services the pages use, so the API answers what the
pages show. Accounts and transactions come from the banks: the API edits them, never creates or
deletes them.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from creditapp.api.pagination import KeysetPagination
from creditapp.api.views import ApiView, TenantGenericViewSet
from creditapp.core.request import user_id
from finance.api.params import KnownQueryParametersMixin
from finance.api.serializers import (
    AccountSerializer,
    AccountUpdateSerializer,
    CategoriesSerializer,
    TransactionSerializer,
    TransactionUpdateSerializer,
)
from finance.insights.categories import taxonomy
from finance.insights.edits import account_edit, transaction_edit
from finance.insights.filters import TransactionFilter
from finance.insights.rules import InvalidCategory, categories_in_use
from finance.models import Account, Transaction

READ_AND_EDIT = ["get", "patch", "head", "options"]


class NewestFirstCursor(KeysetPagination):
    """Transactions newest first, as the transactions page lists them."""

    ordering = ("-date", "-id")
    _model = Transaction


class AccountPagination(KeysetPagination):
    """Accounts in the order the accounts page lists them."""

    ordering = ("institution_name", "name", "id")
    _model = Account


@extend_schema_view(
    list=extend_schema(
        description="Your bank and card accounts, cursor-paginated, as the accounts page lists them."
    ),
    retrieve=extend_schema(description="One of your accounts (404 when it is not yours)."),
    partial_update=extend_schema(
        description="Rename an account (`custom_name`; an empty one goes back to the bank's name) or hide "
        "it. Accounts come from your bank connections: they cannot be created or deleted here.",
        request=AccountUpdateSerializer,
        responses=AccountSerializer,
    ),
)
class AccountViewSet(
    KnownQueryParametersMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantGenericViewSet
):
    serializer_class = AccountSerializer
    pagination_class = AccountPagination
    queryset = Account.objects.all()
    http_method_names = READ_AND_EDIT

    def safely_get_queryset(self, queryset: QuerySet[Account]) -> QuerySet[Account]:
        return queryset.order_by("institution_name", "name", "id")

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        account = self.get_object()
        body = AccountUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        saved = account_edit(user_id=user_id(request), account_pk=account.pk, **body.validated_data)
        return Response(AccountSerializer(saved).data)


@extend_schema_view(
    list=extend_schema(
        description="Your transactions, newest first, cursor-paginated, with the transactions page's "
        "filters. Amounts carry the app's sign (money out negative); `category` is the one the app "
        "shows (yours, a rule's, or the bank's). Every filter value is checked: one that does not "
        "parse, or a parameter this operation does not take, is a 400 naming it."
    ),
    retrieve=extend_schema(description="One of your transactions (404 when it is not yours)."),
    partial_update=extend_schema(
        description="Change a transaction's category (optionally for every similar one, through a rule, as "
        "the transactions page does), its notes, or whether it is hidden from spending totals. Your "
        "webhooks hear `transactions.changed` with the ids that changed.",
        request=TransactionUpdateSerializer,
        responses=TransactionSerializer,
    ),
)
class TransactionViewSet(
    KnownQueryParametersMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantGenericViewSet
):
    serializer_class = TransactionSerializer
    pagination_class = NewestFirstCursor
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = TransactionFilter
    queryset = Transaction.objects.all()
    http_method_names = READ_AND_EDIT

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        row = self.get_object()
        body = TransactionUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            edited = transaction_edit(user_id=user_id(request), transaction_pk=row.pk, **body.validated_data)
        except InvalidCategory as error:
            raise ValidationError({"category": [str(error)]}) from None
        return Response(TransactionSerializer(edited.transaction).data)


class CategoriesView(KnownQueryParametersMixin, ApiView):
    @extend_schema(
        responses=CategoriesSerializer,
        description="The category taxonomy (primary codes, each with its detailed codes and the names the "
        "app shows), and the categories you chose yourself, by hand or through rules.",
    )
    def get(self, request: Request) -> Response:
        body = {"taxonomy": taxonomy(), "yours": categories_in_use(user_id=user_id(request))}
        return Response(CategoriesSerializer(body).data)
