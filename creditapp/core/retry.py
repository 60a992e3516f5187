"""One retry policy for tasks that call a vendor: transient failures retry with jittered backoff."""

from __future__ import annotations

from typing import Any


class TransientError(Exception):
    """Retry me: the vendor was unreachable, rate-limited us, timed out or failed on its side."""


def task_retry(
    *, max_retries: int, backoff: int, backoff_max: int, on: tuple[type[Exception], ...] = (TransientError,)
) -> dict[str, Any]:
    """Celery task options: retry on `on` (TransientError), waiting about `backoff` · 2ⁿ seconds (at
    most `backoff_max`), `max_retries` times."""
    return {
        "autoretry_for": on,
        "max_retries": max_retries,
        "retry_backoff": backoff,
        "retry_backoff_max": backoff_max,
        "retry_jitter": True,
    }
