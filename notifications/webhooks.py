"""Outgoing webhooks: endpoints the person registers, events recorded per subscribed endpoint, and
their delivery, signed per the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`,
`webhook-signature` over `id.timestamp.body` with the endpoint's `whsec_…` secret).

Endpoints may only reach public addresses (SSRF): the address check runs when an endpoint is saved
and again on every attempt, and the request goes to the very address that was checked (the name is
resolved once; Host and TLS SNI still carry the name), so a name that re-resolves to an internal
address between check and connect (DNS rebinding) reaches nothing.
"""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import json
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string
from redis.exceptions import LockError
from standardwebhooks.webhooks import Webhook

from accounts.audit import audit_record
from creditapp.core import crypto
from creditapp.core.locks import lock
from creditapp.core.queue import enqueue_on_commit
from notifications.models import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookEvent

DELIVER_TASK = "notifications.webhooks.deliver"
EVENT_NAMES = frozenset(WebhookEvent.values)
TEST_EVENT = "webhook.test"
MAX_ENDPOINTS = 10
SECRET_PREFIX = "whsec_"  # noqa: S105 - the marker every Standard Webhooks secret starts with
SECRET_BYTES = 32

MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 3  # then five times longer each time: 3 s, 15 s, 75 s, 6 min, 31 min, 2.6 h, 6 h
RETRY_FACTOR = 5
LONGEST_WAIT_SECONDS = 6 * 3600
CONNECT_TIMEOUT_SECONDS = 3.0
TIMEOUT_SECONDS = 5.0
RESPONSE_EXCERPT_BYTES = 2048
USER_AGENT = "creditapp-webhooks/1"


class WebhookUrlRefused(ValueError):
    """The address is not one we deliver to; the message says why, for the person who entered it."""


class TooManyEndpoints(Exception):
    pass


# --- addresses --------------------------------------------------------------------------------------------
def address_refusal(address: str) -> str | None:
    """Why `address` is no place to send a webhook (None when it is a public unicast address).
    An IPv4 address mapped into IPv6 (::ffff:10.0.0.1) is judged as the IPv4 address it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for refused, name in (
        (ip.is_unspecified, "an unspecified"),
        (ip.is_loopback, "a loopback"),
        (ip.is_link_local, "a link-local"),
        (ip.is_multicast, "a multicast"),
        (ip.is_private, "a private"),
        (ip.is_reserved, "a reserved"),
        (not ip.is_global, "a non-public"),
    ):
        if refused:
            return f"it resolves to {name} address ({ip})"
    return None


@dataclass(frozen=True)
class Target:
    """Where one request goes: the checked addresses of the name, and the name to present to them."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]

    def pinned_url(self, address: str) -> str:
        literal = f"[{address}]" if ":" in address else address
        return urlunsplit((self.scheme, f"{literal}:{self.port}", self.path, "", ""))

    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


class TargetUnresolvable(Exception):
    """The name did not resolve (perhaps only for now)."""


def _parts(url: str) -> tuple[str, str, int, str]:
    private_allowed = settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise WebhookUrlRefused("Enter a valid URL.") from None
    schemes = ("https", "http") if private_allowed else ("https",)
    if parts.scheme not in schemes:
        raise WebhookUrlRefused("The URL must start with https://.")
    if not parts.hostname:
        raise WebhookUrlRefused("Enter a valid URL.")
    if parts.username or parts.password:
        raise WebhookUrlRefused("The URL may not contain a user name or password.")
    if parts.fragment:
        raise WebhookUrlRefused("The URL may not contain a #fragment.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def webhook_target_resolve(url: str) -> Target:
    """Resolve the URL's name and check every address it has; raises WebhookUrlRefused when any of
    them is not public (a name with one public and one internal address is refused too) and
    TargetUnresolvable when it does not resolve. WEBHOOKS_ALLOW_PRIVATE_TARGETS (tests only) lifts
    the address check and allows http://."""
    scheme, host, port, path = _parts(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetUnresolvable(f"{host} does not resolve ({error})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TargetUnresolvable(f"{host} does not resolve")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            refusal = address_refusal(address)
            if refusal is not None:
                raise WebhookUrlRefused(f"Webhooks can only go to public addresses: {refusal}.")
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))


def webhook_url_check(url: str) -> str:
    """The URL, cleaned, if it may be registered; WebhookUrlRefused otherwise."""
    try:
        webhook_target_resolve(url)
    except TargetUnresolvable:
        raise WebhookUrlRefused("The URL's host name does not resolve.") from None
    return url.strip()


# --- reads ------------------------------------------------------------------------------------------------
def webhook_endpoints_for(*, user_id: int) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.for_user(user_id).order_by("-created_at", "-id")


def webhook_deliveries_for(
    *, user_id: int, endpoint_pk: int, deliveries: QuerySet[WebhookDelivery] | None = None
) -> QuerySet[WebhookDelivery]:
    """One endpoint's delivery log (of `deliveries`, by default all of the person's), newest first,
    each with its attempts."""
    attempts = WebhookDeliveryAttempt.objects.for_user(user_id).order_by("number")
    base = WebhookDelivery.objects.all() if deliveries is None else deliveries
    return (
        base.filter(user_id=user_id, endpoint_id=endpoint_pk)
        .prefetch_related(Prefetch("attempts", queryset=attempts))
        .order_by("-created_at", "-id")
    )


def webhooks_allowed(*, user: Any) -> bool:
    """Whether the person's plan includes webhooks (they come with API access). Asked through a
    setting because billing sits above this app."""
    return bool(import_string(settings.WEBHOOKS_ENTITLEMENTS)(user).allows("api_access"))


# --- endpoints --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    secret: str  # shown to its owner once, stored only encrypted


def _new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return crypto.decrypt(endpoint.secret_encrypted)


def _clean_events(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - EVENT_NAMES)
    if unknown:
        raise ValueError(f"unknown webhook events: {', '.join(unknown)}")
    if not events:
        raise ValueError("choose at least one event")
    return [event for event in WebhookEvent.values if event in events]


def webhook_endpoint_create(
    *, user_id: int, url: str, events: list[str], description: str = ""
) -> EndpointWithSecret:
    """Register an endpoint; its signing secret is returned here and on rotation only."""
    url = webhook_url_check(url)
    events = _clean_events(events)
    with transaction.atomic():
        if webhook_endpoints_for(user_id=user_id).count() >= MAX_ENDPOINTS:
            raise TooManyEndpoints(
                f"You can have at most {MAX_ENDPOINTS} webhook endpoints; delete one first."
            )
        secret = _new_secret()
        endpoint = WebhookEndpoint.objects.create(
            user_id=user_id,
            url=url,
            events=events,
            description=description.strip()[:200],
            secret_encrypted=crypto.encrypt(secret),
        )
        audit_record(
            "webhook_endpoint.created", user_id=user_id, details={"endpoint": endpoint.pk, "events": events}
        )
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def webhook_endpoint_update(
    *,
    user_id: int,
    endpoint_pk: int,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given (someone else's endpoint looks missing: WebhookEndpoint.DoesNotExist)."""
    changes: dict[str, Any] = {}
    if url is not None:
        changes["url"] = webhook_url_check(url)
    if events is not None:
        changes["events"] = _clean_events(events)
    if description is not None:
        changes["description"] = description.strip()[:200]
    if is_active is not None:
        changes["is_active"] = is_active
    with transaction.atomic():
        endpoint = webhook_endpoints_for(user_id=user_id).select_for_update().get(pk=endpoint_pk)
        changed = sorted(name for name, value in changes.items() if getattr(endpoint, name) != value)
        if changed:
            for name in changed:
                setattr(endpoint, name, changes[name])
            endpoint.updated_at = timezone.now()
            endpoint.save(update_fields=[*changed, "updated_at"])
            audit_record(
                "webhook_endpoint.updated",
                user_id=user_id,
                details={"endpoint": endpoint.pk, "fields": changed},
            )
    return endpoint


def webhook_endpoint_delete(*, user_id: int, endpoint_pk: int) -> None:
    with transaction.atomic():
        endpoint = webhook_endpoints_for(user_id=user_id).get(pk=endpoint_pk)
        audit_record("webhook_endpoint.deleted", user_id=user_id, details={"endpoint": endpoint.pk})
        endpoint.delete()


def webhook_endpoint_rotate_secret(*, user_id: int, endpoint_pk: int) -> EndpointWithSecret:
    """A new signing secret, in force at once: the old one no longer signs anything, including
    retries of earlier deliveries."""
    with transaction.atomic():
        endpoint = webhook_endpoints_for(user_id=user_id).select_for_update().get(pk=endpoint_pk)
        secret = _new_secret()
        endpoint.secret_encrypted = crypto.encrypt(secret)
        endpoint.secret_rotated_at = endpoint.updated_at = timezone.now()
        endpoint.save(update_fields=["secret_encrypted", "secret_rotated_at", "updated_at"])
        audit_record("webhook_endpoint.secret_rotated", user_id=user_id, details={"endpoint": endpoint.pk})
    return EndpointWithSecret(endpoint=endpoint, secret=secret)


def webhook_endpoint_send_test(*, user_id: int, endpoint_pk: int) -> WebhookDelivery:
    """Deliver a `webhook.test` message to one endpoint, whatever it subscribes to."""
    with transaction.atomic():
        endpoint = webhook_endpoints_for(user_id=user_id).get(pk=endpoint_pk)
        message_id = new_message_id()
        data = {"endpoint_id": endpoint.pk, "message": "A test event: your endpoint is reachable."}
        delivery = WebhookDelivery.objects.create(
            user_id=user_id,
            endpoint=endpoint,
            message_id=message_id,
            event=TEST_EVENT,
            payload=message_body(message_id=message_id, event=TEST_EVENT, data=data),
            is_test=True,
        )
        enqueue_on_commit(DELIVER_TASK, user_id, delivery.pk)
    return delivery


# --- events -----------------------------------------------------------------------------------------------
def new_message_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def message_body(*, message_id: str, event: str, data: dict[str, Any]) -> dict[str, Any]:
    """The JSON the receiver gets: the shape the Standard Webhooks spec recommends."""
    return {"id": message_id, "type": event, "timestamp": timezone.now().isoformat(), "data": data}


def webhook_event_emit(*, user_id: int, event: str, data: dict[str, Any]) -> None:
    """Record `event` for every active endpoint of the person subscribed to it and deliver it once the
    surrounding transaction commits. Nothing is recorded while the plan lacks API access; the
    endpoints stay and are delivered to again when it returns."""
    if event not in EVENT_NAMES:
        raise ValueError(f"unknown webhook event {event!r}")
    with transaction.atomic():
        endpoints = list(
            webhook_endpoints_for(user_id=user_id).filter(is_active=True, events__contains=[event])
        )
        if not endpoints:
            return
        if not webhooks_allowed(user=get_user_model().objects.get(pk=user_id)):
            return
        message_id = new_message_id()
        payload = message_body(message_id=message_id, event=event, data=data)
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(
                user_id=user_id, endpoint=endpoint, message_id=message_id, event=event, payload=payload
            )
            for endpoint in endpoints
        )
        for delivery in deliveries:
            enqueue_on_commit(DELIVER_TASK, user_id, delivery.pk)


# --- delivery ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Response:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    retryable: bool = True

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_delay(attempt: int) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based), with ±20 % jitter so many
    deliveries that failed together do not come back together."""
    base = min(FIRST_RETRY_SECONDS * RETRY_FACTOR ** (attempt - 1), LONGEST_WAIT_SECONDS)
    return float(base * (0.8 + 0.4 * secrets.randbelow(1001) / 1000))


def signed_headers(*, secret: str, message_id: str, body: bytes) -> dict[str, str]:
    now = timezone.now()
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=message_id, timestamp=now, data=body),
    }


def _post(url: str, *, body: bytes, headers: dict[str, str]) -> Response:
    """POST once, to an address that was just checked (the next one when it cannot be reached);
    redirects are answers, not followed."""
    try:
        target = webhook_target_resolve(url)
    except WebhookUrlRefused as refused:
        return Response(error=f"Refused: {refused}", retryable=False)
    except TargetUnresolvable as error:
        return Response(error=str(error))
    headers = {
        **headers,
        "Host": target.host_header(),
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Accept-Encoding": "identity",  # the excerpt is read raw
    }
    timeout = httpx.Timeout(TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
    # trust_env=False: no proxy from the environment, which would connect wherever it likes.
    with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client:
        for index, address in enumerate(target.addresses):
            try:
                return _send(client, target, address, body=body, headers=headers)
            except httpx.ConnectError as error:
                if index == len(target.addresses) - 1:
                    return Response(error=f"Could not connect: {error}"[:500])
            except httpx.TimeoutException:
                return Response(error="Timed out")
            except httpx.HTTPError as error:
                return Response(error=f"{type(error).__name__}: {error}"[:500])
    raise AssertionError("a resolved target has at least one address")


def _send(
    client: httpx.Client, target: Target, address: str, *, body: bytes, headers: dict[str, str]
) -> Response:
    request = client.build_request(
        "POST", target.pinned_url(address), content=body, headers=headers,
        extensions={"sni_hostname": target.host},  # TLS names (and verifies) the host, not the address
    )  # fmt: skip
    deadline = time.monotonic() + 2 * TIMEOUT_SECONDS
    response = client.send(request, stream=True)
    try:
        excerpt = bytearray()
        for chunk in response.iter_raw():
            excerpt += chunk
            if len(excerpt) >= RESPONSE_EXCERPT_BYTES or time.monotonic() > deadline:
                break
    finally:
        response.close()
    text = bytes(excerpt[:RESPONSE_EXCERPT_BYTES]).decode("utf-8", errors="replace")
    return Response(status_code=response.status_code, excerpt=text)


@dataclass(frozen=True)
class AttemptOutcome:
    retry_in: float | None = None  # seconds; None when the delivery is finished


def webhook_delivery_attempt(*, user_id: int, delivery_pk: int) -> AttemptOutcome:
    """Send a pending delivery once and log the attempt. Returns when to try again (a non-2xx answer,
    a timeout or a connection failure, until MAX_ATTEMPTS); a refused address, a disabled endpoint
    or a plan without API access finish the delivery as failed. Safe to call twice: a delivery that
    is finished, or being attempted by another worker, is left alone."""
    guard = lock(f"webhook-delivery:{delivery_pk}", timeout=4 * TIMEOUT_SECONDS)
    if not guard.acquire(blocking=False):
        return AttemptOutcome()
    try:
        with transaction.atomic():
            delivery = (
                WebhookDelivery.objects.for_user(user_id)
                .select_related("endpoint")
                .filter(pk=delivery_pk, status=WebhookDelivery.Status.PENDING, endpoint__user_id=user_id)
                .first()
            )
            if delivery is None:  # finished, or deleted with its endpoint
                return AttemptOutcome()
            endpoint = delivery.endpoint
            number = delivery.attempt_count + 1
            if not endpoint.is_active and not delivery.is_test:
                refusal = "The endpoint is disabled."
            elif not webhooks_allowed(user=get_user_model().objects.get(pk=user_id)):
                refusal = "Your plan does not include webhooks."
            else:
                refusal = ""
            secret = endpoint_secret(endpoint)
        started = time.monotonic()
        if refusal:
            response = Response(error=refusal, retryable=False)
        else:
            body = json.dumps(delivery.payload, separators=(",", ":")).encode()
            headers = signed_headers(secret=secret, message_id=delivery.message_id, body=body)
            response = _post(endpoint.url, body=body, headers=headers)
        duration_ms = int((time.monotonic() - started) * 1000)
        return _attempt_record(delivery=delivery, number=number, response=response, duration_ms=duration_ms)
    finally:
        with contextlib.suppress(LockError):  # it expired: nothing of ours left to release
            guard.release()


def _attempt_record(
    *, delivery: WebhookDelivery, number: int, response: Response, duration_ms: int
) -> AttemptOutcome:
    now = timezone.now()
    retry_in = None
    if not response.succeeded and response.retryable and number < MAX_ATTEMPTS:
        retry_in = retry_delay(number)
    next_retry_at = now + timedelta(seconds=retry_in) if retry_in is not None else None
    with transaction.atomic():
        WebhookDeliveryAttempt.objects.create(
            user_id=delivery.user_id,
            delivery=delivery,
            number=number,
            attempted_at=now,
            status_code=response.status_code,
            duration_ms=duration_ms,
            error=response.error[:500],
            response_excerpt=response.excerpt,
            next_retry_at=next_retry_at,
        )
        delivery.attempt_count = number
        delivery.next_retry_at = next_retry_at
        if response.succeeded:
            delivery.status, delivery.completed_at = WebhookDelivery.Status.SUCCEEDED, now
        elif retry_in is None:
            delivery.status, delivery.completed_at = WebhookDelivery.Status.FAILED, now
        delivery.save(update_fields=["attempt_count", "next_retry_at", "status", "completed_at"])
    return AttemptOutcome(retry_in=retry_in)
