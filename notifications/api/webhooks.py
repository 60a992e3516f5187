"""Webhook endpoints: register where your events go, rotate the signing secret, send a test event and
read the delivery log. The secret is in the answer to a create and to a rotation, and nowhere else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from creditapp.api.errors import ApiError, error_body
from creditapp.api.pagination import NewestFirst
from creditapp.api.schema import ErrorSerializer
from creditapp.api.views import TenantGenericViewSet, TenantScopedMixin
from creditapp.core.request import user_id
from notifications.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookEvent
from notifications.webhooks import (
    MAX_ENDPOINTS,
    EndpointWithSecret,
    TooManyEndpoints,
    WebhookUrlRefused,
    webhook_deliveries_for,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
    webhook_url_check,
)

URL_HELP = (
    "Where deliveries are POSTed: an https:// URL whose host resolves only to public addresses "
    "(loopback, private, link-local and other internal addresses are refused). Redirects are not followed."
)
EVENTS_HELP = "The events this endpoint receives: " + ", ".join(f"`{event}`" for event in WebhookEvent.values)
SIGNING_KEY_HELP = (
    "The signing secret (`whsec_…`, Standard Webhooks). Shown only in the answer to a create and to "
    "`rotate-secret`: store it now."
)


class _Body(serializers.Serializer[Any]):
    """A request body: a field it does not know is a 400 naming it, not silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - {name for name, field in self.fields.items() if not field.read_only})
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def validate_url(self, value: str) -> str:
        try:
            return webhook_url_check(value)
        except WebhookUrlRefused as refused:
            raise serializers.ValidationError(str(refused)) from None


def _events_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices),
        allow_empty=False,
        max_length=len(WebhookEvent.values),
        help_text=EVENTS_HELP,
        **kwargs,
    )


class EndpointCreateSerializer(_Body):
    url = serializers.CharField(max_length=2000, help_text=URL_HELP)
    events = _events_field()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class EndpointUpdateSerializer(_Body):
    url = serializers.CharField(max_length=2000, required=False, help_text=URL_HELP)
    events = _events_field(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(
        required=False, help_text="False stops deliveries to this endpoint (it keeps its log and secret)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Send at least one of `url`, `events`, `description`, `is_active`."]}
            )
        return attrs


class EndpointSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.choices), help_text=EVENTS_HELP
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "description", "events", "is_active", "created_at", "updated_at",
            "secret_rotated_at",
        ]  # fmt: skip
        read_only_fields = fields


class EndpointWithSecretSerializer(EndpointSerializer):
    secret = serializers.SerializerMethodField(help_text=SIGNING_KEY_HELP)

    class Meta(EndpointSerializer.Meta):
        fields = [*EndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, endpoint: WebhookEndpoint) -> str:
        return str(self.context["secret"])


class AttemptSerializer(serializers.ModelSerializer[WebhookDeliveryAttempt]):
    class Meta:
        model = WebhookDeliveryAttempt
        fields = [
            "number", "attempted_at", "status_code", "duration_ms", "error", "response_excerpt",
            "next_retry_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "status_code": {
                "help_text": "Your endpoint's answer; null when none came (timeout, refused, …)."
            },
            "response_excerpt": {"help_text": "The first 2 KB of your endpoint's answer."},
            "next_retry_at": {"help_text": "When the next attempt is due; null after the last one."},
        }


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    attempts = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id", "message_id", "event", "is_test", "status", "attempt_count", "next_retry_at", "created_at",
            "completed_at", "payload", "attempts",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "message_id": {"help_text": "The `webhook-id` header: the same on every attempt."},
            "payload": {"help_text": "The JSON body sent."},
        }


def _created(saved: EndpointWithSecret, status_code: int) -> Response:
    body = EndpointWithSecretSerializer(saved.endpoint, context={"secret": saved.secret}).data
    response = Response(body, status=status_code)
    response["Cache-Control"] = "no-store"  # the secret is in this answer and nowhere else
    return response


TOO_MANY = OpenApiResponse(
    ErrorSerializer,
    description=f"You have {MAX_ENDPOINTS} endpoints already: delete one first.",
    examples=[
        OpenApiExample(
            "too_many_endpoints",
            summary="The endpoint limit is reached",
            value=error_body(
                "too_many_endpoints", f"You can have at most {MAX_ENDPOINTS} webhook endpoints."
            ),
        )
    ],
)


@extend_schema_view(
    list=extend_schema(description="Your webhook endpoints, newest first, cursor-paginated."),
    retrieve=extend_schema(description="One of your webhook endpoints (404 when it is not yours)."),
    create=extend_schema(
        description="Register an endpoint for the events you pick. The answer carries its signing `secret`, "
        "shown this once.",
        request=EndpointCreateSerializer,
        responses={201: EndpointWithSecretSerializer, 409: TOO_MANY},
    ),
    partial_update=extend_schema(
        description="Change an endpoint's URL, events or description, or disable it (`is_active: false`).",
        request=EndpointUpdateSerializer,
        responses=EndpointSerializer,
    ),
    destroy=extend_schema(description="Delete an endpoint and its delivery log.", responses={204: None}),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantGenericViewSet):
    serializer_class = EndpointSerializer
    pagination_class = NewestFirst
    queryset = WebhookEndpoint.objects.all()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = EndpointCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            saved = webhook_endpoint_create(user_id=user_id(request), **body.validated_data)
        except TooManyEndpoints as error:
            raise ApiError(409, "too_many_endpoints", str(error)) from None
        return _created(saved, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        body = EndpointUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            endpoint = webhook_endpoint_update(
                user_id=user_id(request), endpoint_pk=endpoint.pk, **body.validated_data
            )
        except WebhookUrlRefused as refused:  # the name re-resolved differently since validation
            raise ValidationError({"url": [str(refused)]}) from None
        return Response(EndpointSerializer(endpoint).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        endpoint = self.get_object()
        webhook_endpoint_delete(user_id=user_id(request), endpoint_pk=endpoint.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        description="Replace the signing secret; the old one stops at once (retries are signed with the new "
        "one too). The answer carries the new `secret`, shown this once.",
        request=None,
        responses={200: EndpointWithSecretSerializer},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        return _created(
            webhook_endpoint_rotate_secret(user_id=user_id(request), endpoint_pk=endpoint.pk), 200
        )

    @extend_schema(
        description="Send a `webhook.test` event to this endpoint now (whatever events it receives); its "
        "delivery shows in the endpoint's delivery log.",
        request=None,
        responses={202: DeliverySerializer},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        endpoint = self.get_object()
        delivery = webhook_endpoint_send_test(user_id=user_id(request), endpoint_pk=endpoint.pk)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    get=extend_schema(
        description="An endpoint's delivery log, newest first, cursor-paginated: each event sent to it, "
        "with every attempt (status code, duration, error, an excerpt of the answer, the next retry)."
    )
)
class WebhookDeliveryListView(TenantScopedMixin, generics.ListAPIView):  # type: ignore[type-arg]
    serializer_class = DeliverySerializer
    pagination_class = NewestFirst
    queryset = WebhookDelivery.objects.all()

    def safely_get_queryset(self, queryset: QuerySet[WebhookDelivery]) -> QuerySet[WebhookDelivery]:
        uid = user_id(self.request)
        endpoint_pk = self.kwargs["pk"]
        if not WebhookEndpoint.objects.for_user(uid).filter(pk=endpoint_pk).exists():
            raise NotFound()
        return webhook_deliveries_for(user_id=uid, endpoint_pk=endpoint_pk, deliveries=queryset)


router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")

urlpatterns = [
    *router.urls,
    path("webhooks/<int:pk>/deliveries/", WebhookDeliveryListView.as_view(), name="webhook-deliveries"),
]
