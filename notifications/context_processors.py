from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from notifications.selectors import unread_alert_count


def alerts(request: HttpRequest) -> dict[str, Any]:
    """`unread_alert_count` for the navigation. Lazy and counted once per response: templates call it
    when they use it, inside the request's tenant context (the middleware's transaction is still open
    while the response renders)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    user_pk = int(user.pk)
    return {"unread_alert_count": cache(lambda: unread_alert_count(user_id=user_pk))}
