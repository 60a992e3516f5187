"""/health answers while the process lives; /health/ready checks what a request needs."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from health_check.base import HealthCheck
from health_check.checks import Database
from health_check.contrib.redis import Redis
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView
from kombu.exceptions import OperationalError
from redis.asyncio import Redis as RedisClient

from creditapp.celery import app as celery_app

# Per connection attempt; the library gives each check five seconds in all.
CONNECT_TIMEOUT_SECONDS = 2


@dataclasses.dataclass
class Broker(HealthCheck):
    """The Celery broker takes a connection. The library's Celery check pings workers instead, but this
    process is ready when it can queue work, whether or not a worker is running yet."""

    def run(self) -> None:
        try:
            with celery_app.connection_for_write(connect_timeout=CONNECT_TIMEOUT_SECONDS) as connection:
                # One retry, at once: with several broker URLs it goes to the next one.
                connection.ensure_connection(max_retries=1, interval_start=0)
        except (OperationalError, OSError) as error:
            raise ServiceUnavailable("Unable to connect to the broker") from error


def _redis_client() -> RedisClient:
    return RedisClient.from_url(
        settings.REDIS_URL,
        socket_timeout=CONNECT_TIMEOUT_SECONDS,
        socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
    )


class ReadinessView(HealthCheckView):
    """Always JSON, 503 when a check fails: `{"status": ..., "checks": {"database": "ok", ...}}`.

    The database check is a `SELECT 1` on a connection of its own (the app role; no table needed)."""

    checks = (Database, (Redis, {"client_factory": _redis_client}), Broker)

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(*(check.get_result(executor) for check in self.get_checks()))
        results = {
            type(result.check).__name__.lower(): "ok" if result.error is None else str(result.error)
            for result in self.results
        }
        healthy = all(value == "ok" for value in results.values())
        return JsonResponse(
            {"status": "ok" if healthy else "unavailable", "checks": results}, status=200 if healthy else 503
        )


@never_cache
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


ready = never_cache(ReadinessView.as_view())
