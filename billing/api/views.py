from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from billing.api.serializers import MeSerializer, SubscriptionSerializer
from billing.selectors import entitlements_for_request
from creditapp.api.views import ApiView


class SubscriptionView(ApiView):
    @extend_schema(
        responses=SubscriptionSerializer, description="Your plan, its status and what it includes."
    )
    def get(self, request: Request) -> Response:
        return Response(SubscriptionSerializer(entitlements_for_request(request)).data)


class MeView(ApiView):
    @extend_schema(
        responses=MeSerializer,
        description="Who you are to the API: your plan and its limits, your time zone and currency, "
        "and the key this request used.",
    )
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request, context={"request": request}).data)
