from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from notifications.models import Alert, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "severity", "title", "user", "read_at", "dismissed_at"]
    list_filter = ["kind", "severity"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user"]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    """The signing secret is never shown, not even encrypted."""

    list_display = ["url", "user", "is_active", "created_at", "secret_rotated_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "description", "user__email"]
    list_select_related = ["user"]
    exclude = ["secret_encrypted"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "status", "attempt_count", "next_retry_at", "endpoint", "user"]
    list_filter = ["status", "event", "is_test"]
    search_fields = ["message_id", "endpoint__url", "user__email"]
    list_select_related = ["user", "endpoint"]


@admin.register(WebhookDeliveryAttempt)
class WebhookDeliveryAttemptAdmin(ReadOnlyAdmin):
    list_display = ["attempted_at", "delivery", "number", "status_code", "duration_ms", "error", "user"]
    search_fields = ["delivery__message_id", "user__email"]
    list_select_related = ["user", "delivery"]
