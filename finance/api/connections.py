"""Bank connections (Plaid items): their status as the connections page shows it, and "Sync now".

A sync request is the page's button: it queues the same sync of transactions and card statements, and
shares the page's cooldown, so a click in the app and a script's request count as one. The sync runs in
the background under the item's lock (one sync of an item at a time); the connection's `sync_state` says
when it is done.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver, reverse
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from creditapp.api.errors import ApiError, error_body
from creditapp.api.pagination import KeysetPagination
from creditapp.api.schema import ErrorSerializer
from creditapp.api.views import TenantGenericViewSet
from creditapp.core.request import user_id
from finance.api.params import KnownQueryParametersMixin
from finance.banking.items import SYNC_NOW_COOLDOWN_SECONDS, plaid_item_sync_now
from finance.banking.selectors import items_for
from finance.banking.sync import sync_progress
from finance.models import Account, PlaidItem

NEEDS_ATTENTION = (
    PlaidItem.Status.LOGIN_REQUIRED,
    PlaidItem.Status.PENDING_EXPIRATION,
    PlaidItem.Status.ERROR,
)


class ConnectionAccountSerializer(serializers.ModelSerializer[Account]):
    name = serializers.CharField(source="display_name", read_only=True, help_text="As the app names it.")

    class Meta:
        model = Account
        fields = ["id", "name", "mask", "type"]
        read_only_fields = fields


class SyncProgressSerializer(serializers.Serializer[Any]):
    pages = serializers.IntegerField(help_text="Pages of transactions fetched so far.")
    transactions = serializers.IntegerField(help_text="Transactions fetched so far.")


class ConnectionSerializer(serializers.ModelSerializer[PlaidItem]):
    status_label = serializers.CharField(
        source="get_status_display", read_only=True, help_text="As the app words it: `Needs re-login`, …"
    )
    needs_relogin = serializers.SerializerMethodField(
        help_text="Your bank wants you to log in again (in the app: Connections, Log in again) before new "
        "data can arrive; syncs fail until then."
    )
    needs_attention = serializers.SerializerMethodField(
        help_text="Re-login needed, consent about to expire, or an error: what the app flags."
    )
    error_message = serializers.CharField(read_only=True, help_text="The bank's own words, when it failed.")
    sync_state = serializers.ChoiceField(
        source="live_sync_state",
        choices=PlaidItem.SyncState.choices,
        read_only=True,
        help_text="`queued` or `running` while a sync is on its way, else `idle` (a sync lost with its "
        "worker shows `idle` again after a while).",
    )
    sync_progress = serializers.SerializerMethodField()
    last_synced_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="The end of the last sync that succeeded."
    )
    accounts = ConnectionAccountSerializer(many=True, read_only=True)

    class Meta:
        model = PlaidItem
        fields = [
            "id", "institution_id", "institution_name", "status", "status_label", "needs_relogin",
            "needs_attention", "error_code", "error_message", "sync_state", "sync_progress", "last_synced_at",
            "last_sync_error_at", "consent_expires_at", "new_accounts_available", "created_at", "accounts",
        ]  # fmt: skip
        read_only_fields = fields

    def get_needs_relogin(self, item: PlaidItem) -> bool:
        return item.status == PlaidItem.Status.LOGIN_REQUIRED

    def get_needs_attention(self, item: PlaidItem) -> bool:
        return item.status in NEEDS_ATTENTION

    @extend_schema_field(SyncProgressSerializer(allow_null=True))
    def get_sync_progress(self, item: PlaidItem) -> dict[str, int] | None:
        if item.live_sync_state == PlaidItem.SyncState.IDLE:
            return None
        return sync_progress(item.pk)


class SyncAcceptedSerializer(serializers.Serializer[Any]):
    status_url = serializers.URLField(
        help_text="The connection's own URL (also in `Location`): poll it until `sync_state` is `idle`."
    )
    connection = ConnectionSerializer(help_text="The connection as it is now, its sync queued.")


SYNC_ALREADY_REQUESTED = OpenApiResponse(
    ErrorSerializer,
    description=f"A sync of this connection was asked for less than {SYNC_NOW_COOLDOWN_SECONDS} seconds ago "
    "(here or in the app): it is on its way. Poll `details.status_url`, or ask again after "
    "`details.retry_after_seconds`.",
    examples=[
        OpenApiExample(
            "sync_already_requested",
            summary="Asked again within the cooldown",
            value=error_body(
                "sync_already_requested",
                "A sync of this connection was just requested: ask again in 25 seconds.",
                {"retry_after_seconds": 25, "status_url": "https://app.example.com/api/v1/connections/7/"},
            ),
        )
    ],
)


class ConnectionPagination(KeysetPagination):
    """In the order the connections page lists them."""

    ordering = ("institution_name", "id")


@extend_schema_view(
    list=extend_schema(
        description="Your bank connections, cursor-paginated, as the connections page lists them: status "
        "(including whether your bank needs you to log in again), sync state and progress, when each "
        "last synced, and its accounts."
    ),
    retrieve=extend_schema(description="One of your bank connections (404 when it is not yours)."),
)
class ConnectionViewSet(
    KnownQueryParametersMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantGenericViewSet
):
    serializer_class = ConnectionSerializer
    pagination_class = ConnectionPagination
    queryset = PlaidItem.objects.all()
    lookup_value_regex = r"\d+"
    throttle_kind: str | None = None  # set per action: `sync` counts as a sync request, not a write

    def safely_get_queryset(self, queryset: QuerySet[PlaidItem]) -> QuerySet[PlaidItem]:
        return items_for(user_id=user_id(self.request))

    @extend_schema(
        description="Sync now, as the app's button does: fetch new transactions, balances and card "
        "statements from the bank in the background. Answers 202 at once with the connection's URL "
        f"(`status_url`, and `Location`) to poll. One request per connection per {SYNC_NOW_COOLDOWN_SECONDS} "
        "seconds, shared with the app's button: another is a 409. Sync requests have their own rate "
        "limit per plan.",
        request=None,
        responses={202: SyncAcceptedSerializer, 409: SYNC_ALREADY_REQUESTED},
    )
    @action(detail=True, methods=["post"], throttle_kind="sync")
    def sync(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        status_url = request.build_absolute_uri(reverse("api-v1:connection-detail", args=[item.pk]))
        wait = plaid_item_sync_now(item=item)
        if wait:
            raise ApiError(
                409,
                "sync_already_requested",
                f"A sync of this connection was just requested: ask again in {wait} seconds.",
                {"retry_after_seconds": wait, "status_url": status_url},
            )
        body = {"status_url": status_url, "connection": ConnectionSerializer(item).data}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": status_url})


router = SimpleRouter()
router.register("connections", ConnectionViewSet, basename="connection")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
