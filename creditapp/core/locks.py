"""Redis locks: one holder at a time across every worker process."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def lock(name: str, *, timeout: float) -> redis.lock.Lock:
    """A non-reentrant lock that expires after `timeout` seconds if its holder dies."""
    return redis_client().lock(f"{settings.CACHES['default']['KEY_PREFIX']}:lock:{name}", timeout=timeout)
