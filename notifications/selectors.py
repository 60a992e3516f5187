from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from notifications.models import Alert


def alerts_inbox(*, user_id: int) -> QuerySet[Alert]:
    """Alerts not dismissed: unread first, newest first within each."""
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Alert.objects.for_user(user_id)
        .filter(dismissed_at__isnull=True)
        .order_by(unread_first, "-created_at", "-id")
    )


def unread_alert_count(*, user_id: int) -> int:
    return Alert.objects.for_user(user_id).filter(dismissed_at__isnull=True, read_at__isnull=True).count()


def alerts_for(*, user_id: int) -> QuerySet[Alert]:
    """Every alert of the person, dismissed ones included (they stay readable by id), newest first."""
    return Alert.objects.for_user(user_id).order_by("-created_at", "-id")
