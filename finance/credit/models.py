"""Credit reports: the person's consent and identity, and one snapshot per Experian pull.

History and "what changed since last time" come from comparing our own snapshots. Money is integer
minor units (Experian reports whole US dollars; the parser multiplies by 100).
"""

from __future__ import annotations

import json
from typing import Any

from django.db import models
from django.utils import timezone

from creditapp.core import crypto
from creditapp.core.money import utilisation_bp
from creditapp.tenancy.models import TenantOwned
from finance.banking.models import account_number_shown
from finance.credit.parser import ACCOUNT_TYPES, STATUS_LABELS


class CreditProfile(TenantOwned):
    """One per person: their consent to pull their report, and the identity Experian needs to find it.

    The identity (name, date of birth, SSN, address) is one encrypted JSON blob (creditapp.core.crypto);
    only the SSN's last four digits are kept in clear, to show which SSN is on file.
    """

    identity_encrypted = models.TextField()
    ssn_last4 = models.CharField(max_length=4)
    consent_given_at = models.DateTimeField()
    consent_version = models.CharField(max_length=20)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=20, blank=True)
    last_error_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user"], name="creditprofile_one_per_user")]

    def __str__(self) -> str:
        return f"credit profile of user {self.user_id}"

    def identity(self) -> dict[str, str]:
        return dict(json.loads(crypto.decrypt(self.identity_encrypted)))


class CreditReport(TenantOwned):
    """A snapshot of one pull. The raw response is kept encrypted (it names the person and their
    addresses), with account numbers cut to their last four digits like the rows below; the parsed
    parts live in those rows and in `summary`."""

    class Status(models.TextChoices):
        COMPLETE = "complete", "Complete"
        NO_SCORE = "no_score", "No score available"

    class Trigger(models.TextChoices):
        CONSENT = "consent", "First pull after consent"
        ON_DEMAND = "on_demand", "Asked for"
        SCHEDULED = "scheduled", "Scheduled refresh"

    pulled_at = models.DateTimeField(default=timezone.now)
    pulled_on = models.DateField()  # UTC date of pulled_at: at most one stored pull a day
    report_date = models.DateField(null=True, blank=True)  # as Experian dates the report
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETE)
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    model = models.CharField(max_length=10, blank=True)  # the risk model asked for ("V4")
    summary = models.JSONField(default=dict, blank=True)  # credit_parser.Summary.as_json()
    raw_encrypted = models.TextField()

    class Meta:
        ordering = ["-pulled_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "id"], name="creditreport_unique_user_id"),
            models.UniqueConstraint(fields=["user", "pulled_on"], name="creditreport_one_pull_per_day"),
        ]
        indexes = [models.Index(fields=["user", "-pulled_at"], name="creditreport_user_pulled")]

    def __str__(self) -> str:
        return f"credit report {self.pk} of {self.pulled_on}"

    def raw(self) -> dict[str, Any]:
        return dict(json.loads(crypto.decrypt(self.raw_encrypted)))


class CreditScore(TenantOwned):
    report = models.ForeignKey(
        CreditReport, on_delete=models.CASCADE, related_name="scores", db_constraint=False
    )
    model = models.CharField(max_length=10)  # Experian's modelIndicator
    model_name = models.CharField(max_length=40)
    value = models.IntegerField(null=True, blank=True)  # None: the file could not be scored
    date = models.DateField()

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "report", "model"], name="creditscore_unique_model_per_report"
            )
        ]
        indexes = [models.Index(fields=["user", "model", "-date"], name="creditscore_user_model_date")]

    def __str__(self) -> str:
        return f"{self.model_name} {self.value} on {self.date}"

    @property
    def band(self) -> str:
        return score_band(self.model, self.value)


# (lowest score, band) from the top, per model family.
VANTAGE_BANDS = ((781, "Excellent"), (661, "Good"), (601, "Fair"), (500, "Poor"), (300, "Very poor"))
FICO_BANDS = ((800, "Exceptional"), (740, "Very good"), (670, "Good"), (580, "Fair"), (300, "Poor"))


def score_band(model: str, value: int | None) -> str:
    """VantageScore's published ranges for V models, FICO's for F models."""
    if value is None:
        return "No score"
    bands = FICO_BANDS if model.upper().startswith("F") else VANTAGE_BANDS
    return next((name for lowest, name in bands if value >= lowest), bands[-1][1])


class ScoreFactor(TenantOwned):
    report = models.ForeignKey(
        CreditReport, on_delete=models.CASCADE, related_name="factors", db_constraint=False
    )
    model = models.CharField(max_length=10)
    rank = models.PositiveSmallIntegerField()  # Experian's importance: 1 weighed most
    code = models.CharField(max_length=10)
    text = models.CharField(max_length=300)

    class Meta:
        ordering = ["rank", "id"]
        indexes = [models.Index(fields=["user", "report"], name="scorefactor_user_report")]

    def __str__(self) -> str:
        return f"{self.rank}. {self.text}"


class Tradeline(TenantOwned):
    """One credit account as this report shows it. Amounts in minor units of `currency`."""

    report = models.ForeignKey(
        CreditReport, on_delete=models.CASCADE, related_name="tradelines", db_constraint=False
    )
    identity = models.CharField(
        max_length=120
    )  # credit_parser.Tradeline.identity: the same account across pulls
    creditor = models.CharField(max_length=100)
    account_last4 = models.CharField(max_length=4, blank=True)  # credit_parser.last_four: all we keep
    account_type = models.CharField(max_length=4, blank=True)
    revolving = models.BooleanField()
    opened_on = models.DateField(null=True, blank=True)
    is_open = models.BooleanField()
    balance_minor = models.BigIntegerField(null=True, blank=True)
    balance_date = models.DateField(null=True, blank=True)
    limit_minor = models.BigIntegerField(null=True, blank=True)
    high_balance_minor = models.BigIntegerField(null=True, blank=True)
    original_amount_minor = models.BigIntegerField(null=True, blank=True)
    monthly_payment_minor = models.BigIntegerField(null=True, blank=True)
    past_due_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    last_payment_on = models.DateField(null=True, blank=True)
    payment_history = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=4, blank=True)

    class Meta:
        ordering = ["-is_open", "-opened_on", "id"]
        indexes = [models.Index(fields=["user", "report"], name="tradeline_user_report")]

    def __str__(self) -> str:
        return f"{self.creditor} {self.account_display}".strip()

    @property
    def account_display(self) -> str:
        """The account number as every page shows it: "•• 1197" ("" when the report showed no digits)."""
        return account_number_shown(self.account_last4)

    @property
    def type_label(self) -> str:
        return ACCOUNT_TYPES.get(self.account_type, "Revolving account" if self.revolving else "Loan")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, f"Status {self.status}" if self.status else "")

    @property
    def utilisation_bp(self) -> int | None:
        """A revolving account's balance as basis points of its limit (3000 = 30 %)."""
        return utilisation_bp(self.balance_minor, self.limit_minor) if self.revolving else None

    @property
    def late_months(self) -> int:
        return sum(mark.isdigit() and mark != "0" for mark in self.payment_history)


class Inquiry(TenantOwned):
    """A hard inquiry: a lender pulled the report because the person applied for credit."""

    report = models.ForeignKey(
        CreditReport, on_delete=models.CASCADE, related_name="inquiries", db_constraint=False
    )
    identity = models.CharField(max_length=60)  # credit_parser.Inquiry.identity: subscriber and date
    inquired_on = models.DateField(null=True, blank=True)
    subscriber_name = models.CharField(max_length=100)
    subscriber_code = models.CharField(max_length=20, blank=True)
    kind_of_business = models.CharField(max_length=4, blank=True)
    credit_type = models.CharField(max_length=4, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["-inquired_on", "id"]
        verbose_name_plural = "inquiries"
        indexes = [models.Index(fields=["user", "report"], name="inquiry_user_report")]

    def __str__(self) -> str:
        return f"{self.subscriber_name} on {self.inquired_on}"

    @property
    def type_label(self) -> str:
        return ACCOUNT_TYPES.get(self.credit_type, "Credit")
