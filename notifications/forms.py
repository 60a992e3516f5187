"""The webhooks settings page's forms; saving goes through notifications.webhooks."""

from __future__ import annotations

from typing import Any

from django import forms

from notifications.models import WebhookEvent
from notifications.webhooks import WebhookUrlRefused, webhook_url_check

EVENT_HELP = {
    WebhookEvent.TRANSACTIONS_CHANGED: "Transactions were added, changed or removed (sync, import, edit).",
    WebhookEvent.ALERT_CREATED: "A new alert, as in your alerts inbox.",
    WebhookEvent.CONNECTION_NEEDS_ATTENTION: "A bank connection needs you to sign in again, or failed.",
    WebhookEvent.CREDIT_REPORT_READY: "A new credit report and score are ready.",
}


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2000,
        help_text="An https:// address on the public internet; we POST signed JSON to it.",
        widget=forms.URLInput(
            attrs={"placeholder": "https://example.com/hooks/creditapp", "inputmode": "url"}
        ),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    description = forms.CharField(
        label="Description", max_length=200, required=False, help_text="To tell your endpoints apart."
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["url"].widget.attrs.update(autocomplete="off", spellcheck="false")

    def clean_url(self) -> str:
        try:
            return webhook_url_check(self.cleaned_data["url"])
        except WebhookUrlRefused as refused:
            raise forms.ValidationError(str(refused)) from None

    def event_options(self) -> list[dict[str, Any]]:
        """The event checkboxes with their explanations, for the template to lay out."""
        chosen = set(self["events"].value() or [])
        return [
            {"value": value, "label": label, "help": EVENT_HELP[WebhookEvent(value)],
             "checked": value in chosen, "id": f"{self['events'].auto_id}_{index}"}
            for index, (value, label) in enumerate(WebhookEvent.choices)
        ]  # fmt: skip


class WebhookEndpointEditForm(WebhookEndpointForm):
    is_active = forms.BooleanField(
        label="Active", required=False, help_text="Untick to pause deliveries; the endpoint and its log stay."
    )
