from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from billing.api.serializers import SubscriptionSerializer
from billing.selectors import entitlements_for_request
from creditapp.tenancy.api import TenantAPIView


class SubscriptionView(TenantAPIView):
    @extend_schema(
        responses=SubscriptionSerializer, description="Your plan, its status and what it includes."
    )
    def get(self, request: Request) -> Response:
        return Response(SubscriptionSerializer(entitlements_for_request(request)).data)
