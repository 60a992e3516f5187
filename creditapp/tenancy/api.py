"""The DRF side of tenancy: every API view sets the tenant from DRF's own authentication."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from creditapp.tenancy.db import set_tenant


class TenantAPIViewMixin:
    """Always overwrite the tenant with DRF's user, or clear it.

    The middleware may have set a tenant from a session cookie; if this view authenticates by API
    key only, keeping that tenant would serve the cookie user's rows to a cross-site request.
    """

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)  # type: ignore[misc]
        user = request.user
        set_tenant(user.pk if user is not None and user.is_authenticated else None)

    def handle_exception(self, exc: Exception) -> Response:
        transaction.set_rollback(True)
        return super().handle_exception(exc)  # type: ignore[misc]


class TenantAPIView(TenantAPIViewMixin, APIView):
    pass


class TenantGenericAPIView(TenantAPIViewMixin, generics.GenericAPIView):
    pass


def is_tenant_view(view: Any) -> bool:
    cls = getattr(view, "cls", None) or getattr(view, "view_class", None)
    return cls is None or not issubclass(cls, APIView) or issubclass(cls, TenantAPIViewMixin)
