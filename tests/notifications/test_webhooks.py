"""Outgoing webhooks: signed deliveries to a receiver on 127.0.0.1, retries through a real worker,
the address checks (SSRF), secret rotation, test events, the plan gate, the API and the settings page."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.test import Client, override_settings
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from accounts.api_keys import api_key_create
from accounts.models import ApiKey
from billing.models import Subscription
from creditapp.tenancy.db import maintenance_access, tenant_binding, tenant_context
from finance.banking.items import plaid_item_set_status
from finance.banking.sync import plaid_item_sync
from finance.models import PlaidItem
from notifications.models import Alert, WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint
from notifications.services import Draft, notification_raise
from notifications.tasks import deliver_webhook
from notifications.webhooks import (
    TEST_EVENT,
    WebhookUrlRefused,
    address_refusal,
    endpoint_secret,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
    webhook_event_emit,
    webhook_url_check,
)
from tests.billing.conftest import make_user, put_on_plan
from tests.finance.conftest import link_item, plaid_sandbox  # noqa: F401 - fixtures
from tests.finance.factories import ItemFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


# --- a receiver on 127.0.0.1 ------------------------------------------------------------------------------
@dataclass
class Receiver:
    url: str
    answers: list[int] = field(default_factory=list)  # statuses to answer with, in order; then 200
    received: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    receiver: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.receiver.received.append(
            {"path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        status = self.receiver.answers.pop(0) if self.receiver.answers else 200
        reply = f"answered {status}".encode() + b"." * 5000  # longer than the excerpt we keep
        self.send_response(status)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks?source=test")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler.receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_targets(settings: Any) -> None:
    """Tests deliver to 127.0.0.1 over http, which only this setting allows."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True


@pytest.fixture
def webhook_worker(
    monkeypatch: pytest.MonkeyPatch, private_targets: None, request: pytest.FixtureRequest
) -> None:
    """A real worker that may deliver to the receiver too."""
    monkeypatch.setenv("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "1")
    request.getfixturevalue("celery_worker_process")


def pro_user() -> Any:
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "pro")
    return user


def endpoint_for(user: Any, url: str, events: list[str] | None = None) -> tuple[WebhookEndpoint, str]:
    with tenant_context(user.pk):
        saved = webhook_endpoint_create(user_id=user.pk, url=url, events=events or ["alert.created"])
    return saved.endpoint, saved.secret


def deliveries_of(user: Any) -> list[WebhookDelivery]:
    with tenant_context(user.pk):
        return list(WebhookDelivery.objects.for_user(user).order_by("id"))


def attempts_of(user: Any, delivery: WebhookDelivery) -> list[WebhookDeliveryAttempt]:
    with tenant_context(user.pk):
        return list(
            WebhookDeliveryAttempt.objects.for_user(user).filter(delivery=delivery).order_by("number")
        )


def deliver_pending(user: Any) -> list[WebhookDelivery]:
    """Run the delivery task of every pending delivery here, as the worker would (eagerly)."""
    for delivery in deliveries_of(user):
        if delivery.status == WebhookDelivery.Status.PENDING:
            deliver_webhook.apply(args=(user.pk, delivery.pk))
    return deliveries_of(user)


def raise_alert(user: Any, key: str = "inquiry:1") -> Alert | None:
    with tenant_context(user.pk):
        return notification_raise(
            user_id=user.pk,
            draft=Draft(
                kind=Alert.Kind.NEW_INQUIRY, severity="warning", title="New hard inquiry", dedupe_key=key
            ),
        )


# --- the address checks -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://127.8.0.1/hook",
        "https://localhost/hook",
        "https://10.1.2.3/hook",
        "https://172.16.0.9/hook",
        "https://192.168.1.1/hook",
        "https://100.64.0.1/hook",  # carrier-grade NAT
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://0.0.0.0/hook",
        "https://224.0.0.1/hook",
        "https://240.0.0.1/hook",
        "https://[::1]/hook",
        "https://[::]/hook",
        "https://[fc00::1]/hook",
        "https://[fd12:3456::1]/hook",
        "https://[fe80::1]/hook",
        "https://[ff02::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
        "https://[::ffff:10.0.0.1]/hook",
        "https://[::ffff:169.254.169.254]/hook",
    ],
)
def test_internal_addresses_are_refused(url: str) -> None:
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=False), pytest.raises(WebhookUrlRefused):
        webhook_url_check(url)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.215.14/hook", "https://"),
        ("ftp://93.184.215.14/hook", "https://"),
        ("https://user:pw@93.184.215.14/hook", "user name"),
        ("https:///hook", "valid URL"),
        ("https://93.184.215.14:99999/hook", "valid URL"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
    ],
)
def test_urls_other_than_public_https_are_refused(url: str, reason: str) -> None:
    with (
        override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=False),
        pytest.raises(WebhookUrlRefused, match=reason),
    ):
        webhook_url_check(url)


def test_public_https_addresses_pass_and_the_setting_relaxes_the_checks() -> None:
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=False):
        assert webhook_url_check(" https://93.184.215.14/hook ") == "https://93.184.215.14/hook"
        assert webhook_url_check("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook")
        assert address_refusal("8.8.8.8") is None
        assert address_refusal("::ffff:8.8.8.8") is None
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=True):
        assert webhook_url_check("http://127.0.0.1:8080/hook") == "http://127.0.0.1:8080/hook"


# --- delivery ---------------------------------------------------------------------------------------------
def test_deliveries_are_signed_per_standard_webhooks_and_verify(
    receiver: Receiver, private_targets: None
) -> None:
    user = pro_user()
    endpoint, secret = endpoint_for(user, receiver.url, ["alert.created", "credit.report_ready"])
    assert secret.startswith("whsec_")
    with tenant_context(user.pk):
        assert endpoint_secret(endpoint) == secret
        assert secret not in WebhookEndpoint.objects.get(pk=endpoint.pk).secret_encrypted  # encrypted at rest
    alert = raise_alert(user)
    assert alert is not None

    [delivery] = deliver_pending(user)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    [request] = receiver.received
    assert request["path"] == "/hooks?source=test"
    event = Webhook(secret).verify(request["body"], request["headers"])
    assert event["type"] == "alert.created"
    assert event["data"]["alert_id"] == alert.pk and event["data"]["kind"] == "new_inquiry"
    assert request["headers"]["webhook-id"] == delivery.message_id == event["id"]
    assert request["headers"]["Content-Type"] == "application/json"
    [attempt] = attempts_of(user, delivery)
    assert (attempt.number, attempt.status_code, attempt.error, attempt.next_retry_at) == (1, 200, "", None)
    assert attempt.response_excerpt.startswith("answered 200") and len(attempt.response_excerpt) == 2048

    # Raising the same alert again is no new event.
    assert raise_alert(user) is None
    assert len(deliveries_of(user)) == 1


def test_a_failed_delivery_is_retried_by_the_worker_and_every_attempt_is_logged(
    receiver: Receiver, webhook_worker: None
) -> None:
    user = pro_user()
    _, secret = endpoint_for(user, receiver.url)
    receiver.answers = [500]
    raise_alert(user)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        [delivery] = deliveries_of(user)
        if delivery.status != WebhookDelivery.Status.PENDING:
            break
        time.sleep(0.25)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.attempt_count == 2 and delivery.next_retry_at is None
    first, second = attempts_of(user, delivery)
    assert (first.number, first.status_code, second.number, second.status_code) == (1, 500, 2, 200)
    assert first.response_excerpt.startswith("answered 500")
    assert first.next_retry_at is not None and first.next_retry_at > first.attempted_at
    assert second.attempted_at >= first.next_retry_at
    assert second.next_retry_at is None
    # Both attempts carry the same message id (receivers drop duplicates by it) and both verify.
    assert [r["headers"]["webhook-id"] for r in receiver.received] == [delivery.message_id] * 2
    for request in receiver.received:
        Webhook(secret).verify(request["body"], request["headers"])


def test_a_receiver_that_is_down_is_logged_and_retried(private_targets: None) -> None:
    user = pro_user()
    endpoint_for(user, "http://127.0.0.1:9/closed-port")  # discard: nothing listens
    raise_alert(user)
    [delivery] = deliveries_of(user)
    with tenant_binding(user.pk):
        outcome = webhook_delivery_attempt(user_id=user.pk, delivery_pk=delivery.pk)
    assert outcome.retry_in is not None and outcome.retry_in > 0
    [attempt] = attempts_of(user, delivery)
    assert attempt.status_code is None and attempt.error and attempt.next_retry_at is not None
    [delivery] = deliveries_of(user)
    assert (
        delivery.status == WebhookDelivery.Status.PENDING and delivery.next_retry_at == attempt.next_retry_at
    )


def test_the_address_is_checked_again_when_delivering(receiver: Receiver, settings: Any) -> None:
    user = pro_user()
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    endpoint_for(user, receiver.url)  # as if its name had resolved to a public address then
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    raise_alert(user)
    [delivery] = deliver_pending(user)
    assert receiver.received == []
    assert delivery.status == WebhookDelivery.Status.FAILED
    [attempt] = attempts_of(user, delivery)
    assert attempt.error.startswith("Refused:") and attempt.next_retry_at is None


def test_the_request_goes_to_the_checked_address_and_names_the_host(
    receiver: Receiver, private_targets: None
) -> None:
    """The name is resolved once and checked; the connection goes to that address (the next one when
    it cannot be reached: localhost may resolve to ::1 first, where nothing listens), and the Host
    header still carries the name."""
    user = pro_user()
    port = receiver.url.split(":")[2].split("/")[0]
    endpoint_for(user, f"http://localhost:{port}/by-name")
    raise_alert(user)
    [delivery] = deliver_pending(user)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    [request] = receiver.received
    assert (request["path"], request["headers"]["Host"]) == ("/by-name", f"localhost:{port}")


def test_redirects_are_not_followed(receiver: Receiver, private_targets: None) -> None:
    user = pro_user()
    endpoint_for(user, receiver.url)
    receiver.answers = [302]
    raise_alert(user)
    [delivery] = deliver_pending(user)  # eagerly: the retry runs at once and gets the 200
    assert [a.status_code for a in attempts_of(user, delivery)] == [302, 200]
    assert len(receiver.received) == 2  # both to the endpoint itself


def test_rotating_the_secret_invalidates_the_old_one(receiver: Receiver, private_targets: None) -> None:
    user = pro_user()
    endpoint, old_secret = endpoint_for(user, receiver.url)
    with tenant_context(user.pk):
        new_secret = webhook_endpoint_rotate_secret(user_id=user.pk, endpoint_pk=endpoint.pk).secret
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    raise_alert(user)
    deliver_pending(user)
    [request] = receiver.received
    Webhook(new_secret).verify(request["body"], request["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(old_secret).verify(request["body"], request["headers"])


def test_a_test_event_reaches_the_endpoint_whatever_it_subscribes_to(
    receiver: Receiver, private_targets: None
) -> None:
    user = pro_user()
    endpoint, secret = endpoint_for(user, receiver.url, ["credit.report_ready"])
    with tenant_context(user.pk):
        webhook_endpoint_send_test(user_id=user.pk, endpoint_pk=endpoint.pk)
    [delivery] = deliver_pending(user)
    assert delivery.is_test and delivery.status == WebhookDelivery.Status.SUCCEEDED
    event = Webhook(secret).verify(receiver.received[0]["body"], receiver.received[0]["headers"])
    assert event["type"] == TEST_EVENT and event["data"]["endpoint_id"] == endpoint.pk


def test_only_subscribed_active_endpoints_of_the_person_get_the_event(
    receiver: Receiver, private_targets: None
) -> None:
    user, other = pro_user(), pro_user()
    subscribed, _ = endpoint_for(user, receiver.url, ["alert.created"])
    endpoint_for(user, receiver.url, ["credit.report_ready"])
    paused, _ = endpoint_for(user, receiver.url, ["alert.created"])
    endpoint_for(other, receiver.url, ["alert.created"])
    with tenant_context(user.pk):
        WebhookEndpoint.objects.filter(pk=paused.pk).update(is_active=False)
    raise_alert(user)
    assert [d.endpoint_id for d in deliveries_of(user)] == [subscribed.pk]
    assert deliveries_of(other) == []


def test_unknown_events_are_refused() -> None:
    user = pro_user()
    with tenant_context(user.pk), pytest.raises(ValueError, match="unknown webhook event"):
        webhook_event_emit(user_id=user.pk, event="account.deleted", data={})


def test_people_without_api_access_get_no_deliveries(receiver: Receiver, private_targets: None) -> None:
    basic = make_user(joined_days_ago=30)
    put_on_plan(basic, "basic")
    endpoint_for(basic, receiver.url)
    raise_alert(basic)
    assert deliveries_of(basic) == []

    # A plan that lapses between the event and its delivery: the endpoint stays, nothing is sent.
    lapsing = pro_user()
    endpoint, _ = endpoint_for(lapsing, receiver.url)
    raise_alert(lapsing)
    with maintenance_access("test: end the subscription"):
        Subscription.objects.filter(user=lapsing).update(status="canceled")
    [delivery] = deliver_pending(lapsing)
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert attempts_of(lapsing, delivery)[0].error == "Your plan does not include webhooks."
    assert receiver.received == []
    with tenant_context(lapsing.pk):
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).exists()


# --- the events' sources ----------------------------------------------------------------------------------
def test_a_connection_entering_a_login_required_state_is_announced_once(private_targets: None) -> None:
    user = pro_user()
    endpoint_for(user, "http://127.0.0.1:9/", ["connection.needs_attention"])
    with tenant_context(user.pk):
        item = ItemFactory(user=user)
    for _ in range(2):  # a second failure finds it in that state already
        with tenant_context(user.pk):
            plaid_item_set_status(
                user_id=user.pk, item_pk=item.pk, status=PlaidItem.Status.LOGIN_REQUIRED,
                error_code="ITEM_LOGIN_REQUIRED",
            )  # fmt: skip
    [delivery] = deliveries_of(user)
    assert delivery.event == "connection.needs_attention"
    assert delivery.payload["data"] == {
        "connection_id": item.pk, "institution_name": item.institution_name, "status": "login_required",
        "error_code": "ITEM_LOGIN_REQUIRED",
    }  # fmt: skip


def test_a_bank_sync_that_changes_transactions_announces_the_counts(
    private_targets: None,
    link_item: Any,  # noqa: F811 - the fixture imported above
) -> None:
    user = pro_user()
    endpoint_for(user, "http://127.0.0.1:9/", ["transactions.changed"])
    item = link_item(user.pk)
    with tenant_binding(user.pk):
        result = plaid_item_sync(user_id=user.pk, item_pk=item.pk)
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)  # nothing new: no event
    assert result.added > 0
    [delivery] = deliveries_of(user)
    assert delivery.payload["type"] == "transactions.changed"
    assert delivery.payload["data"] == {
        "source": "bank_sync", "connection_id": item.pk,
        "added": result.added, "modified": result.modified, "removed": result.removed,
    }  # fmt: skip


# --- the API ----------------------------------------------------------------------------------------------
def api(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def write_token(user: Any) -> str:
    return api_key_create(owner_id=user.pk, name="cli", scope=ApiKey.Scope.READ_WRITE).token


def test_the_api_creates_lists_edits_and_deletes_endpoints(receiver: Receiver, private_targets: None) -> None:
    user = pro_user()
    client = api(write_token(user))
    created = client.post(
        "/api/v1/webhooks/",
        {"url": receiver.url, "events": ["alert.created"], "description": "home server"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and created["Cache-Control"] == "no-store"
    pk = body["id"]
    listed = client.get("/api/v1/webhooks/").json()
    assert [e["id"] for e in listed["results"]] == [pk]
    assert (
        "secret" not in listed["results"][0] and "secret" not in client.get(f"/api/v1/webhooks/{pk}/").json()
    )

    edited = client.patch(
        f"/api/v1/webhooks/{pk}/", {"events": ["credit.report_ready", "alert.created"], "is_active": False},
        content_type="application/json",
    )  # fmt: skip
    assert edited.status_code == 200
    assert (edited.json()["events"], edited.json()["is_active"]) == (
        ["alert.created", "credit.report_ready"],
        False,
    )

    rotated = client.post(f"/api/v1/webhooks/{pk}/rotate-secret/")
    assert rotated.status_code == 200 and rotated.json()["secret"] not in (body["secret"], None)

    tested = client.post(f"/api/v1/webhooks/{pk}/test/")
    assert tested.status_code == 202 and tested.json()["event"] == TEST_EVENT
    deliver_pending(user)
    log = client.get(f"/api/v1/webhooks/{pk}/deliveries/", {"page_size": 1}).json()
    [entry] = log["results"]
    assert (entry["status"], entry["attempts"][0]["status_code"]) == ("succeeded", 200)
    Webhook(rotated.json()["secret"]).verify(receiver.received[0]["body"], receiver.received[0]["headers"])
    assert client.get(f"/api/v1/webhooks/{pk}/deliveries/", {"cursor": "@@"}).status_code == 400

    assert client.delete(f"/api/v1/webhooks/{pk}/").status_code == 204
    assert client.get(f"/api/v1/webhooks/{pk}/").status_code == 404


def test_the_api_answers_with_the_error_shape_for_refused_urls_and_events() -> None:
    client = api(write_token(pro_user()))
    with override_settings(WEBHOOKS_ALLOW_PRIVATE_TARGETS=False):
        refused = client.post(
            "/api/v1/webhooks/", {"url": "https://169.254.169.254/", "events": ["alert.created"]},
            content_type="application/json",
        )  # fmt: skip
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "invalid_request" and "public addresses" in error["details"]["fields"]["url"][0]
    wrong_event = client.post(
        "/api/v1/webhooks/", {"url": "https://93.184.215.14/", "events": ["everything"]},
        content_type="application/json",
    )  # fmt: skip
    assert wrong_event.status_code == 400 and "events" in wrong_event.json()["error"]["details"]["fields"]
    unknown = client.post(
        "/api/v1/webhooks/", {"url": "https://93.184.215.14/", "events": ["alert.created"], "secret": "mine"},
        content_type="application/json",
    )  # fmt: skip
    assert unknown.status_code == 400 and "secret" in unknown.json()["error"]["details"]["fields"]


def test_another_persons_endpoints_are_not_found(private_targets: None) -> None:
    alice, bob = pro_user(), pro_user()
    endpoint, _ = endpoint_for(alice, "http://127.0.0.1:9/")
    bob_client = api(write_token(bob))
    pk = endpoint.pk
    for method, url in (
        ("get", f"/api/v1/webhooks/{pk}/"),
        ("patch", f"/api/v1/webhooks/{pk}/"),
        ("delete", f"/api/v1/webhooks/{pk}/"),
        ("post", f"/api/v1/webhooks/{pk}/rotate-secret/"),
        ("post", f"/api/v1/webhooks/{pk}/test/"),
        ("get", f"/api/v1/webhooks/{pk}/deliveries/"),
    ):
        response = getattr(bob_client, method)(url, {"is_active": False} if method == "patch" else None,
                                                content_type="application/json")  # fmt: skip
        assert response.status_code == 404, (method, url)
        assert response.json()["error"]["code"] == "not_found"
    assert bob_client.get("/api/v1/webhooks/").json()["results"] == []
    assert deliveries_of(alice) == []
    with tenant_context(alice.pk):
        assert WebhookEndpoint.objects.get(pk=pk).is_active


def test_the_api_needs_a_plan_with_api_access() -> None:
    basic = make_user(joined_days_ago=30)
    put_on_plan(basic, "basic")
    response = api(write_token(basic)).get("/api/v1/webhooks/")
    assert response.status_code == 402


# --- the settings page ------------------------------------------------------------------------------------
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SECRET = re.compile(r'value="(whsec_[^"]+)"')


def test_the_settings_page_adds_tests_rotates_and_deletes_with_csrf_protected_forms(
    receiver: Receiver, private_targets: None
) -> None:
    user = pro_user()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    page = browser.get("/app/settings/webhooks/")
    assert page.status_code == 200
    token = CSRF.search(page.content.decode()).group(1)  # type: ignore[union-attr]
    form = {"url": receiver.url, "events": ["alert.created", "transactions.changed"], "description": "NAS"}

    assert browser.post("/app/settings/webhooks/new/", form).status_code == 403  # no CSRF token
    created = browser.post("/app/settings/webhooks/new/", {**form, "csrfmiddlewaretoken": token})
    assert created.status_code == 200 and created["Cache-Control"] == "no-store"
    secret = SECRET.search(created.content.decode()).group(1)  # type: ignore[union-attr]
    with tenant_context(user.pk):
        endpoint = WebhookEndpoint.objects.get(user=user)
    assert endpoint.events == ["transactions.changed", "alert.created"] and endpoint.description == "NAS"
    detail_url = f"/app/settings/webhooks/{endpoint.pk}/"
    detail = browser.get(detail_url).content.decode()
    assert secret not in detail and receiver.url.replace("&", "&amp;") in detail

    invalid = browser.post("/app/settings/webhooks/new/", {"url": receiver.url, "csrfmiddlewaretoken": token})
    assert invalid.status_code == 400 and "Choose at least one event." in invalid.content.decode()

    tested = browser.post(f"{detail_url}test/", {"csrfmiddlewaretoken": token}, HTTP_HX_REQUEST="true")
    assert tested.status_code == 200 and 'id="delivery-log"' in tested.content.decode()
    deliver_pending(user)
    Webhook(secret).verify(receiver.received[0]["body"], receiver.received[0]["headers"])
    log = browser.get(f"{detail_url}deliveries/").content.decode()
    assert TEST_EVENT in log and "Delivered" in log

    saved = browser.post(
        detail_url,
        {"url": receiver.url, "events": ["alert.created"], "description": "", "csrfmiddlewaretoken": token},
    )
    assert saved.status_code == 302
    with tenant_context(user.pk):
        endpoint.refresh_from_db()
    assert (endpoint.events, endpoint.is_active) == (["alert.created"], False)  # the box was left unticked

    rotated = browser.post(f"{detail_url}rotate-secret/", {"csrfmiddlewaretoken": token})
    new_secret = SECRET.search(rotated.content.decode()).group(1)  # type: ignore[union-attr]
    assert new_secret != secret
    with tenant_context(user.pk):
        assert endpoint_secret(WebhookEndpoint.objects.get(pk=endpoint.pk)) == new_secret

    assert browser.post(f"{detail_url}delete/").status_code == 403  # no CSRF token
    assert browser.post(f"{detail_url}delete/", {"csrfmiddlewaretoken": token}).status_code == 302
    with tenant_context(user.pk):
        assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_settings_page_is_for_plans_with_api_access_and_hides_others_endpoints(
    private_targets: None,
) -> None:
    basic = make_user(joined_days_ago=30)
    put_on_plan(basic, "basic")
    browser = Client()
    browser.force_login(basic)
    assert browser.get("/app/settings/webhooks/").status_code == 403  # the upgrade page
    assert Client().get("/app/settings/webhooks/").status_code == 302  # sign in first

    alice, bob = pro_user(), pro_user()
    endpoint, _ = endpoint_for(alice, "http://127.0.0.1:9/")
    browser.force_login(bob)
    assert browser.get(f"/app/settings/webhooks/{endpoint.pk}/").status_code == 404
    assert browser.post(f"/app/settings/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert "127.0.0.1:9" not in browser.get("/app/settings/webhooks/").content.decode()
    settings_page = browser.get("/app/settings/").content.decode()
    assert 'href="/app/settings/webhooks/"' in settings_page
