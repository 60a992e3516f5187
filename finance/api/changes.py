"""The transactions changes feed, `GET /api/v1/transactions/changes/`: Plaid's `/transactions/sync`
contract offered to our own users, so a client can mirror its transactions exactly.

Mounted before finance.api.urls, so `transactions/changes/` is not read as a transaction's id.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from django.urls import URLPattern, URLResolver, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from creditapp.api.views import ApiView
from creditapp.core.request import user_id
from finance.api.params import KnownQueryParametersMixin
from finance.api.serializers import TransactionSerializer
from finance.insights.changes import change_version, transaction_changes

DEFAULT_COUNT = 100
MAX_COUNT = 500
CURSOR_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")
CHANGE_NUMBER = re.compile(r"0|[1-9][0-9]{0,18}")
INVALID_CURSOR = "Invalid cursor: pass a `next_cursor` this feed returned, as it is, or none to start over."


def cursor_of(change_number: int) -> str:
    """Opaque to clients: URL-safe base64, unpadded, of the change number."""
    return base64.urlsafe_b64encode(str(change_number).encode()).decode().rstrip("=")


def change_number_of(cursor: str) -> int:
    """The change number a cursor of ours stands for; anything else is a ValueError. Only the one
    spelling `cursor_of` gives is accepted, so two cursors never mean the same place."""
    if not CURSOR_ALPHABET.fullmatch(cursor):
        raise ValueError(cursor)
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError(cursor) from None
    if not CHANGE_NUMBER.fullmatch(text) or cursor_of(int(text)) != cursor:
        raise ValueError(cursor)
    return int(text)


class ChangesQuerySerializer(serializers.Serializer[Any]):
    cursor = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=40)
    count = serializers.IntegerField(required=False, min_value=1, max_value=MAX_COUNT, default=DEFAULT_COUNT)


class RemovedTransactionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The id the transaction had.")
    plaid_transaction_id = serializers.CharField(help_text="The bank's (Plaid's) id it had.")


ChangesSerializer = inline_serializer(
    name="TransactionChanges",
    fields={
        "added": TransactionSerializer(
            many=True, help_text="Transactions created since the cursor, with their current values."
        ),
        "modified": TransactionSerializer(
            many=True,
            help_text="Transactions created before the cursor and changed since, with their current values.",
        ),
        "removed": RemovedTransactionSerializer(
            many=True,
            help_text="Transactions deleted since the cursor, including any created since it (ignore those "
            "you never had).",
        ),
        "next_cursor": serializers.CharField(
            help_text="Pass it as `cursor` next time; store it once you have applied this page."
        ),
        "has_more": serializers.BooleanField(
            help_text="More changes are waiting: ask again with `next_cursor` straight away."
        ),
    },
)


class TransactionChangesView(KnownQueryParametersMixin, ApiView):
    throttle_kind = "read"
    query_parameters = frozenset({"cursor", "count"})

    @extend_schema(
        operation_id="transactions_changes",
        parameters=[
            OpenApiParameter(
                "cursor",
                OpenApiTypes.STR,
                description="The `next_cursor` of your last page; none (or empty) starts from the beginning, "
                "so the first pages hold every transaction in `added`. A cursor that is not one this "
                "feed returned is a 400.",
            ),
            OpenApiParameter(
                "count",
                OpenApiTypes.INT,
                description=f"Changes per page, 1 to {MAX_COUNT} ({DEFAULT_COUNT} when not given); "
                "more is a 400.",
            ),
        ],
        responses=ChangesSerializer,
        description=(
            "What changed in your transactions since `cursor`, oldest change first, as Plaid's "
            "`/transactions/sync` answers: apply `added` and `modified` (upsert by `id`) and `removed` "
            "(delete by `id`), then ask again with `next_cursor` while `has_more` is true. Everything "
            "counts: bank syncs (new, updated and removed transactions), CSV imports, your edits of "
            "category, notes and hidden, rules that recategorise, and deletions. A transaction "
            "changed several times since the cursor appears once, with its current values, at its "
            "latest change; one created and deleted since the cursor appears only in `removed`, so "
            "ignore removals of ids you never had. `added` rows are always new to a client that "
            "applied every page before; while a first catch-up pages through history, a row changed "
            "since its creation may come in `modified` before you have it, so apply both as upserts. "
            "Repeating a page's cursor is safe: applying a page twice changes nothing."
        ),
    )
    def get(self, request: Request) -> Response:
        query = ChangesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        owner = user_id(request)
        since = 0
        if query.validated_data.get("cursor"):
            try:
                since = change_number_of(query.validated_data["cursor"])
            except ValueError:
                raise ValidationError({"cursor": [INVALID_CURSOR]}) from None
            if since > change_version(user_id=owner):  # never given out: forged, or another person's
                raise ValidationError({"cursor": [INVALID_CURSOR]})
        changes = transaction_changes(user_id=owner, since=since, count=query.validated_data["count"])
        context = {"request": request}
        return Response(
            {
                "added": TransactionSerializer(changes.added, many=True, context=context).data,
                "modified": TransactionSerializer(changes.modified, many=True, context=context).data,
                "removed": [
                    {"id": removal.transaction_id, "plaid_transaction_id": removal.plaid_transaction_id}
                    for removal in changes.removed
                ],
                "next_cursor": cursor_of(changes.next_change),
                "has_more": changes.has_more,
            }
        )


urlpatterns: list[URLPattern | URLResolver] = [
    path("transactions/changes/", TransactionChangesView.as_view(), name="transaction-changes"),
]
