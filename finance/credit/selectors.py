"""Reads for credit reports: the latest snapshot, score history, and what changed between two pulls.

Every function filters by `user_id` explicitly (RLS is the backstop, not the filter) and expects to run
in that tenant's context (a request, or a task bound to the tenant).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, QuerySet

from finance.models import CreditProfile, CreditReport, CreditScore, Inquiry, ScoreFactor, Tradeline


def credit_profile_for(*, user_id: int) -> CreditProfile | None:
    return CreditProfile.objects.for_user(user_id).first()


def reports_for(*, user_id: int) -> QuerySet[CreditReport]:
    """Newest first, with everything a report page shows."""
    return (
        CreditReport.objects.for_user(user_id)
        .order_by("-pulled_at", "-id")
        .prefetch_related(
            Prefetch("scores", queryset=CreditScore.objects.for_user(user_id).order_by("id")),
            Prefetch("factors", queryset=ScoreFactor.objects.for_user(user_id)),
            Prefetch("tradelines", queryset=Tradeline.objects.for_user(user_id)),
            Prefetch("inquiries", queryset=Inquiry.objects.for_user(user_id)),
        )
    )


def latest_reports(*, user_id: int, count: int = 2) -> list[CreditReport]:
    return list(reports_for(user_id=user_id)[:count])


def report_before(report: CreditReport, *, user_id: int) -> CreditReport | None:
    """The pull before `report` (prefetched like `reports_for`), to say what changed since."""
    return reports_for(user_id=user_id).filter(pulled_at__lt=report.pulled_at).first()


def report_pulls_for(*, user_id: int) -> QuerySet[CreditReport]:
    """Newest first with their scores only: a list of pulls, without each pull's accounts."""
    return (
        CreditReport.objects.for_user(user_id)
        .order_by("-pulled_at", "-id")
        .prefetch_related(Prefetch("scores", queryset=CreditScore.objects.for_user(user_id).order_by("id")))
    )


def scores_for(*, user_id: int) -> QuerySet[CreditScore]:
    """Every stored score of every model, newest first; a file that could not be scored has no value."""
    return CreditScore.objects.for_user(user_id).order_by("-date", "-id")


def headline_score(report: CreditReport) -> CreditScore | None:
    """The report's first score (the model asked for); works on prefetched reports."""
    scores = list(report.scores.all())
    return scores[0] if scores else None


@dataclass(frozen=True)
class ScorePoint:
    day: date
    value: int
    report_id: int


def score_history(*, user_id: int, model: str, limit: int = 36) -> list[ScorePoint]:
    """The last `limit` scores of one model, oldest first (for the chart)."""
    rows = (
        CreditScore.objects.for_user(user_id)
        .filter(model=model, value__isnull=False)
        .order_by("-date", "-id")
        .values_list("date", "value", "report_id")[:limit]
    )
    return [
        ScorePoint(day, value, report_id) for day, value, report_id in reversed(rows) if value is not None
    ]


@dataclass
class ReportChanges:
    """What one pull shows that the pull before it did not."""

    report: CreditReport
    previous: CreditReport | None
    score_before: int | None = None
    score_after: int | None = None
    new_inquiries: list[Inquiry] = field(default_factory=list)
    new_tradelines: list[Tradeline] = field(default_factory=list)
    closed_tradelines: list[Tradeline] = field(default_factory=list)
    revolving_balance_delta_minor: int | None = None

    @property
    def score_delta(self) -> int | None:
        if self.score_before is None or self.score_after is None:
            return None
        return self.score_after - self.score_before

    @property
    def revolving_balance_moved_minor(self) -> int | None:
        """How far card balances moved, either way (the page says which way)."""
        delta = self.revolving_balance_delta_minor
        return None if delta is None else abs(delta)

    @property
    def anything(self) -> bool:
        return bool(
            self.score_delta or self.new_inquiries or self.new_tradelines or self.closed_tradelines
            or self.revolving_balance_delta_minor
        )  # fmt: skip


def report_changes(report: CreditReport, previous: CreditReport | None) -> ReportChanges:
    """Compare two snapshots of the same person (prefetched by `reports_for`). Accounts and inquiries
    match on their identity (lender, type, open date, last four digits / lender and date)."""
    changes = ReportChanges(report=report, previous=previous)
    if previous is None:
        return changes
    now_score, before_score = headline_score(report), headline_score(previous)
    if now_score and before_score and now_score.model == before_score.model:
        changes.score_before, changes.score_after = before_score.value, now_score.value
    seen_inquiries = {inquiry.identity for inquiry in previous.inquiries.all()}
    changes.new_inquiries = [i for i in report.inquiries.all() if i.identity not in seen_inquiries]
    before = {tradeline.identity: tradeline for tradeline in previous.tradelines.all()}
    now = {tradeline.identity: tradeline for tradeline in report.tradelines.all()}
    changes.new_tradelines = [t for key, t in now.items() if key not in before]
    changes.closed_tradelines = [
        t for key, t in now.items() if key in before and before[key].is_open and not t.is_open
    ]
    balance_now = report.summary.get("revolving_balance_minor")
    balance_before = previous.summary.get("revolving_balance_minor")
    if balance_now is not None and balance_before is not None:
        changes.revolving_balance_delta_minor = balance_now - balance_before
    return changes
