"""Personal API keys: create (the token is returned once), revoke, and check a presented token.

A token is `ck_<prefix>_<secret>`: the prefix finds the row, the secret (256 random bits) is stored
only as its SHA-256 and compared in constant time. The table is outside row-level security (the
lookup happens before anyone is known), so every query here filters by owner explicitly.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import ApiKey

TOKEN_PREFIX = "ck"  # noqa: S105 - the marker every token starts with, not a secret
PREFIX_BYTES = 6  # 12 hex characters
SECRET_BYTES = 32
LAST_USED_RESOLUTION = timedelta(minutes=1)  # at most one write per key per minute
MAX_KEYS_PER_OWNER = 20
# Compared against when the prefix is unknown, so a miss costs the same as a wrong secret.
_DUMMY_SHA256 = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class NewApiKey:
    key: ApiKey
    token: str  # shown to its owner once, never stored


class TooManyKeys(Exception):
    pass


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_keys_for(*, owner_id: int) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(owner_id=owner_id)


def api_key_create(
    *,
    owner_id: int,
    name: str,
    scope: str = ApiKey.Scope.READ,
    expires_at: datetime | None = None,
) -> NewApiKey:
    """A new key for its owner: read-only unless `scope` says read_write; without `expires_at` it
    works until revoked."""
    if scope not in ApiKey.Scope.values:
        raise ValueError(f"unknown scope {scope!r}")
    with transaction.atomic():
        if api_keys_for(owner_id=owner_id).filter(revoked_at__isnull=True).count() >= MAX_KEYS_PER_OWNER:
            raise TooManyKeys(f"You can have at most {MAX_KEYS_PER_OWNER} active keys; revoke one first.")
        prefix = secrets.token_hex(PREFIX_BYTES)
        secret = secrets.token_urlsafe(SECRET_BYTES)
        key = ApiKey.objects.create(
            owner_id=owner_id,
            name=name.strip()[:100],
            prefix=prefix,
            secret_sha256=_sha256(secret),
            scope=scope,
            expires_at=expires_at,
        )
        audit_record(
            "api_key.created", user_id=owner_id, details={"key": key.pk, "prefix": prefix, "scope": scope}
        )
    return NewApiKey(key=key, token=f"{TOKEN_PREFIX}_{prefix}_{secret}")


def api_key_revoke(*, owner_id: int, key_pk: int) -> ApiKey:
    """Revoke one of the owner's keys (someone else's looks missing: ApiKey.DoesNotExist)."""
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key_pk, owner_id=owner_id)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_record("api_key.revoked", user_id=owner_id, details={"key": key.pk, "prefix": key.prefix})
    return key


def api_key_check(token: str, *, ip: str | None = None) -> ApiKey | None:
    """The unrevoked key a presented token belongs to, with its owner, or None (the caller refuses an
    expired one).

    Records when and from where it was last used, at most once per LAST_USED_RESOLUTION: the first
    request of each minute writes its time and address, the others in that minute write nothing (a
    script polling every second would otherwise rewrite the row, and hold its lock, on every request).
    """
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    _, prefix, secret = parts
    try:
        # The prefix is unique: no ORDER BY (the model's default ordering) to compile or run.
        key = ApiKey.objects.select_related("owner").get(prefix=prefix, revoked_at__isnull=True)
    except ApiKey.DoesNotExist:
        key = None
    presented = _sha256(secret)
    if not hmac.compare_digest(presented, key.secret_sha256 if key else _DUMMY_SHA256) or key is None:
        return None
    now = timezone.now()
    if not key.is_expired and (key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION):
        # Conditional, so of the requests racing past the minute in several workers only one writes.
        due = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        if ApiKey.objects.filter(due, pk=key.pk).update(last_used_at=now, last_used_ip=ip):
            key.last_used_at, key.last_used_ip = now, ip
    return key
