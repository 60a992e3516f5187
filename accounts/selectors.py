from __future__ import annotations

from accounts.models import User


def timezone_of(user_id: int) -> str | None:
    """The time zone of a person's profile, by id (None when there is no such person)."""
    return User.objects.filter(pk=user_id).values_list("timezone", flat=True).first()
