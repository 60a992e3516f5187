"""Looking across every tenant, through the audited maintenance path: who is due a credit refresh."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from creditapp.tenancy.db import maintenance_access
from finance.credit.models import CreditProfile, CreditReport
from finance.credit.services import CADENCE_DAYS, CONSENT_VERSION


def people_due_for_refresh() -> list[int]:
    """Everyone consenting whose last pull is older than the shortest plan interval (their own plan
    is checked when their refresh runs)."""
    cutoff = timezone.now().date() - timedelta(days=min(CADENCE_DAYS.values()))
    latest_pull = (
        CreditReport.objects.filter(user_id=OuterRef("user_id"))
        .order_by("-pulled_on")
        .values("pulled_on")[:1]
    )
    with maintenance_access("schedule: find credit profiles due for a refresh"):
        return list(
            CreditProfile.objects.filter(consent_version=CONSENT_VERSION)
            .annotate(latest=Subquery(latest_pull))
            .filter(Q(latest__isnull=True) | Q(latest__lte=cutoff))
            .values_list("user_id", flat=True)
        )
