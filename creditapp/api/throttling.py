"""Rate limits per caller and kind of operation (reads, writes, sync requests), counted in Redis.

Fixed windows, one Redis round trip per request: a script counts the request and, for the window's
first one, sets when the window's counter expires, atomically across every web process. The state of
the window is kept on the request so every answer carries `RateLimit-Limit`, `RateLimit-Remaining`
and `RateLimit-Reset` (seconds until the window starts again); a refused one adds `Retry-After`.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from redis.commands.core import Script
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from creditapp.core.locks import redis_client
from creditapp.core.request import client_ip

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
PERIODS = {"s": 1, "sec": 1, "min": 60, "hour": 3600, "day": 86400}
# KEYS[1]: the window's counter; ARGV[1]: seconds it outlives the window by. Returns the count so far.
COUNT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
    redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
"""


@cache
def _count_script() -> Script:
    """Sent by its SHA (EVALSHA); redis-py loads it again if the server has forgotten it."""
    return redis_client().register_script(COUNT_SCRIPT)


@dataclass(frozen=True)
class Rate:
    limit: int
    period: int  # seconds

    @classmethod
    def parse(cls, text: str) -> Rate:
        """ "600/min", "10/hour"."""
        count, per = text.split("/")
        return cls(int(count), PERIODS[per])


@dataclass(frozen=True)
class Window:
    limit: int
    remaining: int
    reset: int  # seconds

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset),
        }


def operation_kind(request: Request, view: Any) -> str:
    """A view names its kind (`throttle_kind = "sync"`); otherwise reads and writes by method."""
    return getattr(view, "throttle_kind", None) or ("read" if request.method in SAFE_METHODS else "write")


def window_of(request: Any) -> Window | None:
    return getattr(getattr(request, "_request", request), "rate_limit_window", None)


class KindRateThrottle(BaseThrottle):
    """Subclass and implement `rate_for(request, kind)`; anonymous callers are counted per address."""

    def rate_for(self, request: Request, kind: str) -> Rate:
        raise NotImplementedError

    def allow_request(self, request: Request, view: Any) -> bool:
        user = request.user
        if user is not None and user.is_authenticated:
            kind = operation_kind(request, view)
            ident = f"user:{user.pk}:{kind}"
            rate = self.rate_for(request, kind)
        else:
            ident = f"ip:{client_ip(request) or 'unknown'}"
            rate = Rate.parse(settings.API_RATE_LIMITS["anonymous"])
        now = time.time()
        window_start = int(now // rate.period) * rate.period
        key = f"{settings.CACHES['default']['KEY_PREFIX']}:ratelimit:{ident}:{window_start}"
        count = int(_count_script()(keys=[key], args=[rate.period + 1]))
        reset = max(1, math.ceil(window_start + rate.period - now))
        window = Window(rate.limit, max(0, rate.limit - count), reset)
        http_request: Any = getattr(request, "_request", request)
        http_request.rate_limit_window = window
        self._wait = reset
        return count <= rate.limit

    def wait(self) -> float | None:
        return float(self._wait)
