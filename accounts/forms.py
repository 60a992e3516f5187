from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import CURRENCY_CHOICES, TIMEZONE_CHOICES, User
from accounts.services import profile_update


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
