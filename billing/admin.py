"""Mirrors of Stripe's state: change them at Stripe (or replay its events), never by hand."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import ReadOnlyAdmin
from billing.models import BillingCustomer, Subscription, WebhookEvent
from billing.services import webhook_events_replay


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin):
    list_display = [
        "user",
        "plan",
        "interval",
        "status",
        "current_period_end",
        "cancel_at_period_end",
        "trial_end",
    ]
    list_filter = ["status", "plan", "interval", "cancel_at_period_end"]
    search_fields = ["user__email", "stripe_subscription_id", "stripe_customer_id"]
    list_select_related = ["user"]


@admin.register(BillingCustomer)
class BillingCustomerAdmin(ReadOnlyAdmin):
    list_display = ["user", "stripe_customer_id", "created_at"]
    search_fields = ["user__email", "stripe_customer_id"]
    list_select_related = ["user"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "type", "event_id", "status", "attempts", "customer_id", "processed_at"]
    list_filter = ["status", "type"]
    search_fields = ["event_id", "customer_id", "subscription_id", "object_id"]
    actions = ["replay"]

    @admin.action(description="Replay: process the selected events again (processed ones are skipped)")
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        queued = webhook_events_replay(event_pks=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - queued
        self.message_user(
            request,
            f"{queued} event(s) queued for processing; {skipped} already processed and skipped.",
            messages.SUCCESS if queued else messages.WARNING,
        )
