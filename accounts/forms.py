from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from accounts.models import CURRENCY_CHOICES, TIMEZONE_CHOICES, ApiKey, User
from accounts.services import profile_update
from creditapp.core.localtime import local_today, zone


class ProfileForm(forms.Form):
    """The person's name, time zone and currency (saved by accounts.services.profile_update)."""

    full_name = forms.CharField(label="Your name", max_length=150, required=False)
    timezone = forms.ChoiceField(
        label="Time zone", choices=TIMEZONE_CHOICES, help_text="Dates and due dates follow it."
    )
    currency = forms.ChoiceField(
        label="Currency", choices=CURRENCY_CHOICES, help_text="Totals and charts are shown in it."
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any):
        kwargs.setdefault(
            "initial", {"full_name": user.full_name, "timezone": user.timezone, "currency": user.currency}
        )
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["full_name"].widget.attrs.update(autocomplete="name")
        # static/js/app.js picks the browser's time zone while this is still the default.
        self.fields["timezone"].widget.attrs["data-detect-timezone"] = ""

    def save(self) -> User:
        data = self.cleaned_data
        return profile_update(
            user=self.user,
            full_name=data["full_name"],
            timezone_name=data["timezone"],
            currency=data["currency"],
        )


class ApiKeyForm(forms.Form):
    """A new personal API key: what uses it, what it may do (read only unless asked) and until when it
    works (until revoked unless asked). Its `expires_at` is in `cleaned_data` once valid."""

    ON_A_DATE = "date"
    EXPIRY_CHOICES = [
        ("never", "Never"),
        ("30", "In 30 days"),
        ("90", "In 90 days"),
        ("365", "In 365 days"),
        (ON_A_DATE, "On a date"),
    ]

    name = forms.CharField(max_length=100, help_text="What uses this key, e.g. “budget spreadsheet”.")
    scope = forms.ChoiceField(
        label="Access",
        choices=ApiKey.Scope.choices,
        initial=ApiKey.Scope.READ,
        required=False,  # read only when not given
        widget=forms.RadioSelect,
    )
    expires = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, initial="never", required=False)
    expires_on = forms.DateField(
        label="Expiry date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="With “On a date”: the key stops working as that day begins, in your time zone.",
    )

    SCOPE_HELP = {
        ApiKey.Scope.READ: "Reads your data; can change nothing.",
        ApiKey.Scope.READ_WRITE: "Also renames accounts, edits transactions, rules and webhooks, and syncs.",
    }

    def __init__(self, *args: Any, timezone_name: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.timezone_name = timezone_name
        self.fields["expires_on"].widget.attrs["min"] = (self._today() + timedelta(days=1)).isoformat()

    def _today(self) -> date:
        return local_today(self.timezone_name)

    def scope_options(self) -> list[dict[str, Any]]:
        """The scope radios with what each allows (the template lays them out as a fieldset)."""
        chosen = self["scope"].value() or ApiKey.Scope.READ
        return [
            {"value": value, "label": label, "help": self.SCOPE_HELP[ApiKey.Scope(value)],
             "id": f"{self['scope'].auto_id}_{n}", "checked": value == chosen}
            for n, (value, label) in enumerate(ApiKey.Scope.choices)
        ]  # fmt: skip

    def clean_scope(self) -> str:
        return str(self.cleaned_data["scope"] or ApiKey.Scope.READ)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice, day = data.get("expires") or "never", data.get("expires_on")
        data["expires_at"] = None
        if choice == self.ON_A_DATE:
            if day is None:
                if "expires_on" not in self.errors:
                    self.add_error("expires_on", "Choose the day the key stops working.")
            elif day <= self._today():
                self.add_error("expires_on", "Choose a day after today.")
            else:
                data["expires_at"] = datetime.combine(day, time.min, tzinfo=zone(self.timezone_name))
        elif day is not None:
            self.add_error(
                "expires_on", "To use this date, choose “On a date” under Expires (or clear the date)."
            )
        elif choice != "never":
            data["expires_at"] = timezone.now() + timedelta(days=int(choice))
        return data
