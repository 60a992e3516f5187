from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from creditapp.core.request import user_id
from notifications import services as alert_services
from notifications.models import Alert
from notifications.selectors import alerts_inbox, unread_alert_count

INBOX_SIZE = 200


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    return render(
        request,
        "notifications/list.html",
        {"alerts": alerts_inbox(user_id=uid)[:INBOX_SIZE], "unread": unread_alert_count(user_id=uid)},
    )


def _alert(request: HttpRequest, pk: int) -> Alert:
    """Another person's alert and a missing one look the same: 404."""
    return get_object_or_404(Alert, pk=pk, user_id=user_id(request))


@login_required
@require_POST
def alert_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read; with `open=1`, then go to what the alert is about."""
    alert = alert_services.alert_mark_read(user_id=user_id(request), alert_pk=_alert(request, pk).pk)
    if (
        request.POST.get("open")
        and alert.link
        and url_has_allowed_host_and_scheme(alert.link, allowed_hosts=None)
    ):
        return redirect(alert.link)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "notifications/_alert.html", {"alert": alert})
    return redirect("notifications:alerts")


@login_required
@require_POST
def alert_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    alert_services.alert_dismiss(user_id=user_id(request), alert_pk=_alert(request, pk).pk)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse("")  # htmx swaps the row out
    return redirect("notifications:alerts")


@login_required
@require_POST
def alerts_read_all(request: HttpRequest) -> HttpResponse:
    alert_services.alerts_mark_all_read(user_id=user_id(request))
    return redirect("notifications:alerts")
