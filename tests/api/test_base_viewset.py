"""The API's base viewset owns `get_queryset`: every endpoint starts from the caller's own rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import QuerySet
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from creditapp.api.views import TenantReadOnlyModelViewSet
from creditapp.tenancy.db import tenant_context
from finance.api.serializers import AccountSerializer
from finance.models import Account
from tests.accounts.factories import UserFactory
from tests.finance.factories import AccountFactory


def test_a_viewset_cannot_replace_the_scoped_queryset() -> None:
    with pytest.raises(TypeError, match="safely_get_queryset"):

        class Careless(TenantReadOnlyModelViewSet):
            queryset = Account.objects.all()

            def get_queryset(self) -> QuerySet[Any]:
                return Account.objects.all()


@pytest.mark.django_db
def test_narrowing_starts_from_the_callers_rows_even_when_the_policy_would_allow_more() -> None:
    alice, bob = UserFactory(), UserFactory()

    class Everything(TenantReadOnlyModelViewSet):
        serializer_class = AccountSerializer
        queryset = Account.objects.all()
        pagination_class = None
        permission_classes: list[Any] = []

    with tenant_context(alice.pk):
        AccountFactory(user=alice, name="alice's")
    with tenant_context(bob.pk):
        AccountFactory(user=bob, name="bob's")
        request = Request(APIRequestFactory().get("/"))
        # Alice asks while the database's tenant is bob: the explicit filter still holds.
        request.user = alice  # type: ignore[assignment]
        view = Everything(request=request)
        assert list(view.get_queryset()) == []
        assert [a.name for a in Everything(request=Request(APIRequestFactory().get("/"))).queryset] == [
            "bob's"
        ]
