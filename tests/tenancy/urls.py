"""Deliberately unfiltered views: whatever they return, only row-level security decided it."""

from django.http import HttpRequest, JsonResponse
from django.urls import path
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from creditapp.core.request import user_id
from creditapp.tenancy.api import TenantAPIView
from finance.models import Account


def all_accounts(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"names": sorted(Account.objects.values_list("name", flat=True))})


def crash_after_write(request: HttpRequest) -> JsonResponse:
    Account.objects.filter(user_id=user_id(request)).update(name="written by a crashing view")
    raise RuntimeError("boom")


class NoAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> None:
        return None


class TokenOnlyAccounts(TenantAPIView):
    """An API view that authenticates by token only, so a session cookie must not count."""

    authentication_classes = [NoAuthentication]
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response({"names": sorted(Account.objects.values_list("name", flat=True))})


urlpatterns = [
    path("all-accounts", all_accounts),
    path("crash", crash_after_write),
    path("api/token-only", TokenOnlyAccounts.as_view()),
]
