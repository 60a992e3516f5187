"""Alerts: the inbox as the alerts page shows it, marking alerts read and dismissing them through the
same services as the page's buttons. Marking read and dismissing are idempotent: doing either again
changes nothing and answers the alert as it is."""

from __future__ import annotations

from typing import Any

import django_filters
from django.conf import settings
from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from creditapp.api.pagination import NewestFirst
from creditapp.api.views import TenantGenericViewSet
from creditapp.core.request import user_id
from notifications.models import Alert
from notifications.selectors import alerts_for, alerts_inbox
from notifications.services import alert_dismiss, alert_mark_read, alerts_mark_all_read


class AlertSerializer(serializers.ModelSerializer[Alert]):
    kind = serializers.ChoiceField(choices=Alert.Kind.choices, read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    severity = serializers.ChoiceField(choices=Alert.Severity.choices, read_only=True)
    link = serializers.CharField(read_only=True, help_text='The page of the app it is about (a path), or "".')
    web_url = serializers.SerializerMethodField(help_text="`link` as a full URL; null when there is none.")
    subject = serializers.CharField(
        read_only=True, help_text='What it is about, as `<kind>:<id>` (`account:12`, `report:5`), or "".'
    )
    unread = serializers.SerializerMethodField()
    read_at = serializers.DateTimeField(read_only=True, allow_null=True)
    dismissed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Dismissed alerts leave the inbox for good."
    )

    class Meta:
        model = Alert
        fields = [
            "id", "kind", "kind_label", "severity", "title", "body", "link", "web_url", "subject",
            "created_at", "unread", "read_at", "dismissed_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_web_url(self, alert: Alert) -> str | None:
        return f"{settings.SITE_URL}{alert.link}" if alert.link.startswith("/") else None

    def get_unread(self, alert: Alert) -> bool:
        return alert.read_at is None


class AlertFilter(django_filters.FilterSet):
    unread = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_unread",
        help_text="`true`: only alerts not read yet; `false`: only those read. Anything else is a 400.",
    )

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_unread(self, queryset: QuerySet[Alert], name: str, value: str) -> QuerySet[Alert]:
        return queryset.filter(read_at__isnull=value == "true")


class AlertsReadAllSerializer(serializers.Serializer[Any]):
    marked_read = serializers.IntegerField(help_text="How many alerts were unread until now.")


@extend_schema_view(
    list=extend_schema(
        description="Your alerts inbox (dismissed alerts leave it), newest first, cursor-paginated."
    ),
    retrieve=extend_schema(description="One of your alerts, dismissed ones too (404 when it is not yours)."),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantGenericViewSet):
    serializer_class = AlertSerializer
    pagination_class = NewestFirst
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend]
    filterset_class = AlertFilter
    queryset = Alert.objects.all()
    lookup_value_regex = r"\d+"

    def safely_get_queryset(self, queryset: QuerySet[Alert]) -> QuerySet[Alert]:
        uid = user_id(self.request)
        return alerts_inbox(user_id=uid) if self.action == "list" else alerts_for(user_id=uid)

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        # `unread` narrows the inbox; an alert named by its id is found whether read or not.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    @extend_schema(
        description="Mark an alert read (already read: nothing changes). Answers the alert.",
        request=None,
        responses=AlertSerializer,
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        alert = alert_mark_read(user_id=user_id(request), alert_pk=self.get_object().pk)
        return Response(AlertSerializer(alert).data)

    @extend_schema(
        description="Dismiss an alert: it leaves the inbox, and its event never alerts again (already "
        "dismissed: nothing changes). Answers the alert.",
        request=None,
        responses=AlertSerializer,
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        alert = alert_dismiss(user_id=user_id(request), alert_pk=self.get_object().pk)
        return Response(AlertSerializer(alert).data)

    @extend_schema(
        description="Mark every alert read, as the alerts page's button does.",
        request=None,
        responses=AlertsReadAllSerializer,
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response(
            AlertsReadAllSerializer({"marked_read": alerts_mark_all_read(user_id=user_id(request))}).data
        )


router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
