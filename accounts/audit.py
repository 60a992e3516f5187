"""The audit log: one call per recorded action, written into the trail of the person it concerns."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.models import AuditEntry
from creditapp.core.request import client_ip
from creditapp.tenancy.db import insert_as_owner


def _actor_id(actor: Any) -> int | None:
    return actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None


def audit_record(
    action: str,
    *,
    user_id: int | None,
    actor: Any = None,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        user_id=user_id,
        actor_id=_actor_id(actor),
        action=action,
        details=details or {},
        ip_address=client_ip(request) if request is not None else None,
    )
    insert_as_owner(entry)
    return entry


def audit_maintenance(
    reason: str,
    *,
    actor: Any = None,
    target_user_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Written inside maintenance_access, so it goes through the maint role."""
    return audit_record(
        "maintenance_access",
        user_id=target_user_id,
        actor=actor,
        details={"reason": reason, **(details or {})},
    )
