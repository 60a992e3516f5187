from django.contrib import admin

from accounts.admin import ReadOnlyAdmin
from notifications.models import Alert


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "severity", "title", "user", "read_at", "dismissed_at"]
    list_filter = ["kind", "severity"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user"]
