from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from finance.credit.experian import Applicant
from finance.credit.services import CONSENT_VERSION

# The states, DC, territories and military "states" Experian accepts in an address.
US_STATES = (
    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"), ("CA", "California"),
    ("CO", "Colorado"), ("CT", "Connecticut"), ("DE", "Delaware"), ("DC", "District of Columbia"),
    ("FL", "Florida"), ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"), ("IL", "Illinois"),
    ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"), ("KY", "Kentucky"), ("LA", "Louisiana"),
    ("ME", "Maine"), ("MD", "Maryland"), ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"), ("NE", "Nebraska"), ("NV", "Nevada"),
    ("NH", "New Hampshire"), ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"), ("OK", "Oklahoma"), ("OR", "Oregon"),
    ("PA", "Pennsylvania"), ("RI", "Rhode Island"), ("SC", "South Carolina"), ("SD", "South Dakota"),
    ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"), ("VA", "Virginia"),
    ("WA", "Washington"), ("WV", "West Virginia"), ("WI", "Wisconsin"), ("WY", "Wyoming"),
    ("AS", "American Samoa"), ("GU", "Guam"), ("MP", "Northern Mariana Islands"), ("PR", "Puerto Rico"),
    ("VI", "U.S. Virgin Islands"), ("AA", "Armed Forces Americas"), ("AE", "Armed Forces Europe"),
    ("AP", "Armed Forces Pacific"),
)  # fmt: skip
NAME = re.compile(r"^[A-Za-z][A-Za-z .'-]{0,31}$")  # what Experian accepts in a name
ADULT_AGE = 18
OLDEST_AGE = 120


def validate_ssn(value: str) -> str:
    """Nine digits as the SSA issues them: area not 000, 666 or 900-999; group not 00; serial not 0000."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{9}", digits):
        raise ValidationError("Enter the nine digits of your Social Security number.")
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area in ("000", "666") or area.startswith("9") or group == "00" or serial == "0000":
        raise ValidationError("That is not a valid Social Security number. Check the digits.")
    return digits


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class CreditIdentityForm(forms.Form):
    """What Experian needs to find a person's file, and their consent to the pull. Nothing more."""

    first_name = forms.CharField(max_length=32, widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(max_length=32, widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    date_of_birth = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}))
    ssn = forms.CharField(
        label="Social Security number",
        max_length=11,
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "off", "inputmode": "numeric", "placeholder": "123-45-6789"},
        ),
    )
    line1 = forms.CharField(
        label="Street address", max_length=60, widget=forms.TextInput(attrs={"autocomplete": "address-line1"})
    )
    line2 = forms.CharField(
        label="Apartment, unit", max_length=30, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )  # fmt: skip
    city = forms.CharField(max_length=40, widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    state = forms.ChoiceField(
        choices=(("", "Choose…"), *US_STATES), widget=forms.Select(attrs={"autocomplete": "address-level1"})
    )
    zip_code = forms.CharField(
        label="ZIP code", max_length=5, min_length=5,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )  # fmt: skip
    consent = forms.BooleanField(label="I have read and agree to the authorization above", required=True)
    consent_version = forms.CharField(widget=forms.HiddenInput, initial=CONSENT_VERSION)

    def __init__(self, *args: Any, ssn_on_file: str = "", today: date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.ssn_on_file = ssn_on_file
        if ssn_on_file:  # changing other details need not mean typing the SSN again
            self.fields["ssn"].required = False
            self.fields["ssn"].help_text = f"Leave empty to keep the number ending in {ssn_on_file[-4:]}."

    def _name(self, field: str) -> str:
        value = " ".join(self.cleaned_data[field].split())
        if not NAME.match(value):
            raise ValidationError("Use letters, spaces, apostrophes, hyphens and periods only.")
        return value

    def clean_first_name(self) -> str:
        return self._name("first_name")

    def clean_last_name(self) -> str:
        return self._name("last_name")

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        age = _age_on(born, self.today)
        if age < ADULT_AGE:
            raise ValidationError(f"You must be at least {ADULT_AGE} to check your credit here.")
        if age > OLDEST_AGE:
            raise ValidationError("Check the year of your date of birth.")
        return born

    def clean_ssn(self) -> str:
        value = self.cleaned_data["ssn"].strip()
        if not value and self.ssn_on_file:
            return self.ssn_on_file
        return validate_ssn(value)

    def clean_zip_code(self) -> str:
        value = self.cleaned_data["zip_code"].strip()
        if not re.fullmatch(r"\d{5}", value):
            raise ValidationError("Enter a five-digit ZIP code.")
        return value

    def clean_consent_version(self) -> str:
        if self.cleaned_data["consent_version"] != CONSENT_VERSION:
            raise ValidationError(
                "The authorization text changed while you were reading it. Please review it again."
            )
        return str(self.cleaned_data["consent_version"])

    def applicant(self) -> Applicant:
        data = self.cleaned_data
        return Applicant(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
            ssn=data["ssn"],
            line1=" ".join(data["line1"].split()),
            line2=" ".join(data["line2"].split()),
            city=" ".join(data["city"].split()),
            state=data["state"],
            zip_code=data["zip_code"],
        )
