from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from creditapp.core.request import client_ip, user_id
from finance.credit import services as credit_services
from finance.credit.forms import CreditIdentityForm
from finance.credit.parser import MAX_SCORE, MIN_SCORE
from finance.credit.selectors import (
    ScorePoint,
    credit_profile_for,
    headline_score,
    latest_reports,
    report_changes,
    reports_for,
    score_history,
)
from finance.models import CreditReport

BAND_TONES = {
    "Exceptional": "good", "Excellent": "good", "Very good": "good", "Good": "good",
    "Fair": "warn", "Poor": "bad", "Very poor": "bad",
}  # fmt: skip


def _report_context(report: CreditReport, previous: CreditReport | None) -> dict[str, Any]:
    """What the report body shows: headline score, its factors, accounts, inquiries, changes."""
    score = headline_score(report)
    factors = [f for f in report.factors.all() if score is None or f.model == score.model]
    return {
        "report": report,
        "score": score,
        "factors": sorted(factors, key=lambda f: f.rank),
        "open_tradelines": [t for t in report.tradelines.all() if t.is_open],
        "closed_tradelines": [t for t in report.tradelines.all() if not t.is_open],
        "inquiries": list(report.inquiries.all()),
        "changes": report_changes(report, previous),
        "score_percent": _score_percent(score.value if score else None),
        "band_tone": BAND_TONES.get(score.band if score else "", ""),
    }


def _score_percent(value: int | None) -> int | None:
    """Where a score sits on the 300-850 scale, for the gauge (0-100)."""
    return None if value is None else round(100 * (value - MIN_SCORE) / (MAX_SCORE - MIN_SCORE))


def _history_chart(points: list[ScorePoint], label: str) -> dict[str, Any]:
    """A Chart.js config for static/js/charts.js (see templates/includes/chart_scripts.html)."""
    return {
        "type": "line",
        "data": {
            "labels": [point.day.strftime("%b %Y") for point in points],
            "datasets": [{"label": label, "data": [point.value for point in points], "tension": 0.3}],
        },
        "options": {
            "scales": {
                "y": {"suggestedMin": 500, "suggestedMax": MAX_SCORE, "min": MIN_SCORE, "max": MAX_SCORE}
            },
            "plugins": {"legend": {"display": False}},
        },
    }


@login_required
def credit_overview(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    profile = credit_profile_for(user_id=uid)
    reports = latest_reports(user_id=uid, count=2)
    if profile is None and not reports:
        return redirect("finance:credit-consent")
    context: dict[str, Any] = {
        "profile": profile,
        "consent_current": credit_services.consent_is_current(profile),
        "availability": credit_services.credit_refresh_availability(user_id=uid),
        "pending": credit_services.credit_refresh_pending(user_id=uid),
    }
    if reports:
        context |= _report_context(reports[0], reports[1] if len(reports) > 1 else None)
        score = context["score"]
        points = score_history(user_id=uid, model=score.model) if score else []
        context["history"] = points
        context["history_chart"] = _history_chart(points, score.model_name if score else "Score")
    return render(request, "finance/credit/overview.html", context)


@login_required
def credit_report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One past snapshot. Another person's report and a missing one look the same: 404."""
    uid = user_id(request)
    report = get_object_or_404(reports_for(user_id=uid), pk=pk)
    previous = reports_for(user_id=uid).filter(pulled_at__lt=report.pulled_at).first()
    return render(request, "finance/credit/report.html", _report_context(report, previous))


@login_required
def credit_consent(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    profile = credit_profile_for(user_id=uid)
    on_file = credit_services.applicant_of(profile) if profile else None
    ssn_on_file = on_file.ssn if on_file else ""
    if request.method == "POST":
        form = CreditIdentityForm(request.POST, ssn_on_file=ssn_on_file)
        if form.is_valid():
            credit_services.credit_profile_save(
                user_id=uid,
                applicant=form.applicant(),
                consent_version=form.cleaned_data["consent_version"],
                consent_ip=client_ip(request),
            )
            messages.success(
                request, "Thank you. We're getting your Experian report now; it takes a few seconds."
            )
            return redirect("finance:credit")
    else:
        initial = {}
        if on_file:  # everything but the SSN, which is never sent back to the browser
            initial = {
                name: getattr(on_file, name)
                for name in (
                    "first_name",
                    "last_name",
                    "date_of_birth",
                    "line1",
                    "line2",
                    "city",
                    "state",
                    "zip_code",
                )
            }
        form = CreditIdentityForm(initial=initial, ssn_on_file=ssn_on_file)
    return render(
        request,
        "finance/credit/consent.html",
        {"form": form, "profile": profile, "consent_text": credit_services.CONSENT_TEXT},
    )


@login_required
@require_POST
def credit_consent_withdraw(request: HttpRequest) -> HttpResponse:
    credit_services.credit_profile_withdraw(user_id=user_id(request))
    messages.success(
        request, "Done. We deleted your identity details and won't pull your credit report again."
    )
    return redirect("finance:dashboard")


@login_required
@require_POST
def credit_refresh(request: HttpRequest) -> HttpResponse:
    availability = credit_services.credit_refresh_request(user_id=user_id(request))
    if availability.allowed:
        messages.success(
            request, "We're getting a fresh report from Experian. This page updates in a few seconds."
        )
    else:
        messages.info(request, availability.reason)
    return redirect("finance:credit")
