from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import User
from creditapp.tenancy.db import tenant_context


def user_create_verified(*, email: str, password: str, full_name: str = "") -> User:
    """A user whose email counts as verified (demo data, staff-created accounts)."""
    with transaction.atomic():
        user = User.objects.create_user(email=email, password=password, full_name=full_name)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        with tenant_context(user.pk):
            audit_record("user.created", user_id=user.pk, details={"verified": True})
    return user
