from django.contrib import admin

from finance.models import Account, Alert, CreditReport, ImportJob, PlaidItem, Transaction


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["name", "mask", "institution_name", "type", "user", "current_balance_minor", "currency"]
    list_filter = ["type", "institution_name"]
    search_fields = ["name", "institution_name", "user__email"]
    list_select_related = ["user"]


@admin.register(PlaidItem)
class PlaidItemAdmin(admin.ModelAdmin):
    """Staff see connection health; the access token (encrypted) is never shown."""

    list_display = ["institution_name", "user", "status", "error_code", "sync_state", "last_synced_at"]
    list_filter = ["status", "sync_state"]
    search_fields = ["institution_name", "item_id", "user__email"]
    list_select_related = ["user"]
    exclude = ["access_token_encrypted", "cursor"]
    readonly_fields = ["item_id", "institution_id", "last_synced_at", "last_sync_error_at", "created_at"]


@admin.register(Transaction)
class TransactionAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "amount_minor", "currency", "category_primary", "pending", "user"]
    list_filter = ["pending", "category_primary"]
    search_fields = ["name", "merchant_name", "plaid_transaction_id", "user__email"]
    list_select_related = ["user"]
    date_hierarchy = "date"
    exclude = ["search_vector"]


@admin.register(CreditReport)
class CreditReportAdmin(admin.ModelAdmin):
    """Report contents stay encrypted; staff see when and whether pulls happened."""

    list_display = ["pulled_at", "user", "status"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = readonly_fields = ("user", "pulled_at", "status")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "severity", "title", "user", "read_at", "dismissed_at"]
    list_filter = ["kind", "severity"]
    search_fields = ["title", "user__email"]
    list_select_related = ["user"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "status"]
    list_filter = ["status"]
    search_fields = ["user__email"]
    list_select_related = ["user"]
    fields = readonly_fields = ("user", "status", "created_at")
