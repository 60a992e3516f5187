"""Raising notifications and working the inbox. Every raise goes through `notification_raise`, so one
event makes one alert however often, late or concurrently it is raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from notifications.models import Alert, WebhookEvent
from notifications.webhooks import webhook_event_emit


@dataclass(frozen=True)
class Draft:
    """An alert before it is raised. `dedupe_key` names the event itself."""

    kind: str
    severity: str
    title: str
    dedupe_key: str
    body: str = ""
    link: str = ""
    subject: str = ""


def notification_raise(*, user_id: int, draft: Draft) -> Alert | None:
    """Raise one alert unless its event was alerted already (dismissed alerts included); returns it
    only when it is new."""
    with transaction.atomic():
        alert, was_created = Alert.objects.get_or_create(
            user_id=user_id,
            dedupe_key=draft.dedupe_key[:200],
            defaults={
                "kind": draft.kind,
                "severity": draft.severity,
                "title": draft.title[:200],
                "body": draft.body,
                "link": draft.link,
                "subject": draft.subject,
            },
        )
        if was_created:
            webhook_event_emit(
                user_id=user_id, event=WebhookEvent.ALERT_CREATED, data=alert_event_data(alert)
            )
    return alert if was_created else None


def alert_event_data(alert: Alert) -> dict[str, Any]:
    """What an `alert.created` webhook says about the alert."""
    return {
        "alert_id": alert.pk, "kind": alert.kind, "severity": alert.severity, "title": alert.title,
        "body": alert.body, "subject": alert.subject, "created_at": alert.created_at.isoformat(),
    }  # fmt: skip


def alert_mark_read(*, user_id: int, alert_pk: int) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.for_user(user_id).get(pk=alert_pk)
        if alert.read_at is None:
            alert.read_at = timezone.now()
            alert.save(update_fields=["read_at"])
    return alert


def alert_dismiss(*, user_id: int, alert_pk: int) -> Alert:
    """Hide an alert for good (its event never alerts again)."""
    with transaction.atomic():
        alert = Alert.objects.for_user(user_id).get(pk=alert_pk)
        now = timezone.now()
        alert.read_at = alert.read_at or now
        alert.dismissed_at = alert.dismissed_at or now
        alert.save(update_fields=["read_at", "dismissed_at"])
    return alert


def alerts_mark_all_read(*, user_id: int) -> int:
    return Alert.objects.for_user(user_id).filter(read_at__isnull=True).update(read_at=timezone.now())
