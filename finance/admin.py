"""Customers' financial data, read-only (see accounts.admin.ReadOnlyAdmin); what operations staff need
to do to it are actions calling the services."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import ReadOnlyAdmin
from accounts.models import User
from finance.banking import items as item_services
from finance.models import Account, CreditReport, ImportJob, PlaidItem, Transaction


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # the admin serves only signed-in staff
    return request.user


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["name", "mask", "institution_name", "type", "user", "current_balance_minor", "currency"]
    list_filter = ["type", "institution_name"]
    search_fields = ["name", "institution_name", "user__email"]
    list_select_related = ["user"]


@admin.register(PlaidItem)
class PlaidItemAdmin(ReadOnlyAdmin):
    """Staff see connection health; the access token (encrypted) is never shown."""

    list_display = ["institution_name", "user", "status", "error_code", "sync_state", "last_synced_at"]
    list_filter = ["status", "sync_state"]
    search_fields = ["institution_name", "item_id", "user__email"]
    list_select_related = ["user"]
    exclude = ["access_token_encrypted", "cursor"]
    actions = ["sync_now", "reset_cursor"]

    @admin.action(description="Sync now (also retries a failed sync)")
    def sync_now(self, request: HttpRequest, queryset: QuerySet[PlaidItem]) -> None:
        items = list(queryset.values_list("user_id", "pk"))
        for user_id, item_pk in items:
            item_services.plaid_item_sync_request(user_id=user_id, item_pk=item_pk, actor=_staff(request))
        self.message_user(request, f"{len(items)} connection(s) queued for a sync.", messages.SUCCESS)

    @admin.action(description="Reset the sync cursor and fetch the whole history again")
    def reset_cursor(self, request: HttpRequest, queryset: QuerySet[PlaidItem]) -> None:
        items = list(queryset.values_list("user_id", "pk"))
        for user_id, item_pk in items:
            item_services.plaid_item_reset_cursor(user_id=user_id, item_pk=item_pk, actor=_staff(request))
        self.message_user(
            request, f"{len(items)} connection(s) will fetch their whole history again.", messages.SUCCESS
        )


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ["date", "name", "amount_minor", "currency", "category_primary", "pending", "user"]
    list_filter = ["pending", "category_primary"]
    search_fields = ["name", "merchant_name", "plaid_transaction_id", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "date"
    exclude = ["search_vector"]


@admin.register(CreditReport)
class CreditReportAdmin(ReadOnlyAdmin):
    """Report contents stay encrypted; staff see when and whether pulls happened."""

    list_display = ["pulled_at", "user", "status"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ("user", "pulled_at", "status")


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "status"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = ("user", "status", "created_at")
