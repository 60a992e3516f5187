"""Alerts from credit reports: what changed between two consecutive pulls.

The events and their keys:
- new hard inquiry — an inquiry on the newest report that the report before it did not have:
  `inquiry:<subscriber>:<date>`. The first report is the baseline: nothing on it is "new".
- new account — a tradeline the previous report did not have: `account:<lender>:<type>:<opened>:<mask>`.
- score change — the headline score moved by CREDIT_SCORE_ALERT_POINTS (default 20) or more between
  two consecutive reports: `score:<model>:<report id>`.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from django.conf import settings
from django.urls import reverse

from creditapp.core.localtime import day_label
from finance.credit.models import CreditReport
from finance.credit.selectors import ReportChanges, headline_score, report_changes, reports_for
from notifications.models import Alert
from notifications.services import Draft

REPORTS_COMPARED = 3  # the newest reports compared pairwise: a missed run still catches up


def credit_drafts(*, user_id: int) -> list[Draft]:
    reports = list(reports_for(user_id=user_id)[:REPORTS_COMPARED])
    drafts: list[Draft] = []
    for report, previous in pairwise(reports):
        changes = report_changes(report, previous)
        drafts += _inquiry_drafts(report, changes)
        drafts += _tradeline_drafts(report, changes)
        drafts += _score_drafts(report, changes)
    return drafts


def _inquiry_drafts(report: CreditReport, changes: ReportChanges) -> list[Draft]:
    return [
        Draft(
            Alert.Kind.NEW_INQUIRY,
            Alert.Severity.WARNING,
            f"New hard inquiry from {inquiry.subscriber_name}",
            f"inquiry:{inquiry.identity}",
            body=(
                f"{inquiry.subscriber_name} checked your credit{_on(inquiry.inquired_on)} for "
                f"{_a(inquiry.type_label.lower())}. If you didn't apply for credit, contact them and "
                "consider freezing your credit."
            ),
            link=_report_link(report),
            subject=f"report:{report.pk}",
        )
        for inquiry in changes.new_inquiries
    ]


def _tradeline_drafts(report: CreditReport, changes: ReportChanges) -> list[Draft]:
    drafts = []
    for tradeline in changes.new_tradelines:
        opened = f" opened{_on(tradeline.opened_on)}" if tradeline.opened_on else ""
        drafts.append(
            Draft(
                Alert.Kind.NEW_ACCOUNT,
                Alert.Severity.WARNING,
                f"New account: {tradeline.type_label.lower()} with {tradeline.creditor}",
                f"account:{tradeline.identity}",
                body=(
                    f"{_a(tradeline.type_label.lower()).capitalize()} with {tradeline.creditor}{opened} "
                    "is new on your Experian report. If you don't recognise it, contact the lender "
                    "and Experian."
                ),
                link=_report_link(report),
                subject=f"report:{report.pk}",
            )
        )
    return drafts


def _score_drafts(report: CreditReport, changes: ReportChanges) -> list[Draft]:
    delta = changes.score_delta
    score = headline_score(report)
    if delta is None or score is None or abs(delta) < settings.CREDIT_SCORE_ALERT_POINTS:
        return []
    direction = "up" if delta > 0 else "down"
    return [
        Draft(
            Alert.Kind.SCORE_CHANGE,
            Alert.Severity.INFO if delta > 0 else Alert.Severity.WARNING,
            f"Your credit score went {direction} {abs(delta)} points",
            f"score:{score.model}:{report.pk}",
            body=(
                f"Your {score.model_name} moved from {changes.score_before} to {changes.score_after} "
                f"({score.band.lower()}). See what changed since your last report."
            ),
            link=_report_link(report),
            subject=f"report:{report.pk}",
        )
    ]


def _report_link(report: CreditReport) -> str:
    return reverse("finance:credit-report", args=[report.pk])


def _a(noun: str) -> str:
    """ "a card", "an auto loan"."""
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _on(day: date | None) -> str:
    """ " on Jun 5, 2025" (or nothing when the date is unknown)."""
    return f" on {day_label(day)}" if day else ""
