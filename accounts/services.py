from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import User


def user_create_verified(*, email: str, password: str, full_name: str = "") -> User:
    """A user whose email counts as verified (demo data, staff-created accounts)."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        audit_record("user.created", user_id=user.pk, details={"verified": True})
    return user


def profile_update(*, user: User, full_name: str, timezone_name: str, currency: str) -> User:
    """The person's name, time zone (for dates) and currency (for totals)."""
    changes: dict[str, Any] = {}
    for field, value in (
        ("full_name", full_name.strip()),
        ("timezone", timezone_name),
        ("currency", currency),
    ):
        if getattr(user, field) != value:
            changes[field] = value
            setattr(user, field, value)
    if changes:
        user.save(update_fields=list(changes))
        audit_record("user.profile_updated", user_id=user.pk, actor=user, details={"fields": sorted(changes)})
    return user
