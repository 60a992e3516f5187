"""The dashboard: balances, spending, cards, due dates, credit score and alerts on one page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.models import User
from creditapp.core.localtime import local_today
from creditapp.core.request import user_id
from finance.insights.dashboard import UTILISATION_LINE_BP, dashboard_data, freshness
from finance.models import OnboardingProgress, PlaidItem
from finance.onboarding.services import onboarding_needed, onboarding_progress_get, remember_next_step
from notifications.selectors import alerts_inbox

LATEST_ALERTS = 4


def _items(uid: int) -> list[PlaidItem]:
    return list(
        PlaidItem.objects.for_user(uid)
        .only(
            "institution_name",
            "status",
            "sync_state",
            "sync_state_at",
            "last_synced_at",
            "liabilities_refreshed_at",
            "user_id",
        )
        .order_by("institution_name", "id")
    )


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    user: User = request.user  # type: ignore[assignment]
    progress = onboarding_progress_get(user_id=uid)
    if onboarding_needed(user_id=uid, progress=progress):
        remember_next_step(request, progress)
        return redirect("finance:onboarding")
    remember_next_step(request, progress)
    items = _items(uid)
    fresh = freshness(user_id=uid, items=items)
    today = local_today(user.timezone)  # type: ignore[union-attr]
    data = dashboard_data(
        user_id=uid,
        joined=user.date_joined,
        currency=user.currency,
        today=today,
        fresh=fresh,  # type: ignore[union-attr]
    )
    resume = []
    if progress is not None:
        resume = [
            step for step in ("bank", "credit") if getattr(progress, step) == OnboardingProgress.State.SKIPPED
        ]
    context = {
        "data": data,
        "items": items,
        "syncing": [item for item in items if item.live_sync_state != PlaidItem.SyncState.IDLE],
        "needs_login": [item for item in items if item.status == PlaidItem.Status.LOGIN_REQUIRED],
        "last_updated": fresh.last_synced_at,
        "alerts": list(alerts_inbox(user_id=uid)[:LATEST_ALERTS]),
        "resume_steps": resume,
        "line_bp": UTILISATION_LINE_BP,
        "category_chart": data.category_chart(),
        "trend_chart": data.trend_chart(),
        "credit_chart": data.credit_chart(),
    }
    return render(request, "finance/dashboard.html", context)


@login_required
@require_GET
def sync_status(request: HttpRequest) -> HttpResponse:
    """The dashboard's live sync line, polled by htmx while a bank is syncing. When the last sync
    finishes the page reloads itself (HX-Refresh) to show the new numbers."""
    items = _items(user_id(request))
    syncing = [item for item in items if item.live_sync_state != PlaidItem.SyncState.IDLE]
    last = max((item.last_synced_at for item in items if item.last_synced_at), default=None)
    response = render(request, "finance/dashboard_sync.html", {"syncing": syncing, "last_updated": last})
    if not syncing and request.GET.get("was") == "syncing":
        response["HX-Refresh"] = "true"
    return response
