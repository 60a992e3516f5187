"""A test client signing every request with one person's API key."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from accounts.api_keys import api_key_create
from accounts.models import ApiKey
from tests.billing.conftest import make_user, put_on_plan


class Api:
    """One person's API key (read-write unless told) and the requests it signs. Server errors come
    back as responses, so a test asserts on their status like any other answer."""

    def __init__(self, user: Any, scope: str = ApiKey.Scope.READ_WRITE):
        self.user = user
        self.client = Client(raise_request_exception=False)
        token = api_key_create(owner_id=user.pk, name="script", scope=scope).token
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get(url, params, **self.auth)

    def follow(self, url: str) -> Any:
        """A `next`, `previous` or status URL the API gave, as it is."""
        return self.client.get(url, **self.auth)

    def send(self, method: str, url: str, body: Any = None, **headers: str) -> Any:
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        data = json.dumps({} if body is None else body)
        return getattr(self.client, method)(url, data, content_type="application/json", **self.auth, **extra)

    def post(self, url: str, body: Any = None) -> Any:
        return self.send("post", url, body)

    def patch(self, url: str, body: Any) -> Any:
        return self.send("patch", url, body)

    def delete(self, url: str) -> Any:
        return self.send("delete", url)


def pro_user() -> Any:
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "pro")
    return user
