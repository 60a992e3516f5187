"""The admin as staff meet it: customers' financial data is read-only, nobody's rows can be handed to
someone else, and what operations staff need are actions that call the services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db.models import Model
from django.test import Client
from django.utils import timezone

from accounts.api_keys import api_key_create
from accounts.models import AuditEntry, User
from billing.models import BillingCustomer, Subscription
from creditapp.tenancy.db import maintenance_access, tenant_context
from creditapp.tenancy.models import TenantOwned
from finance.models import CreditReport, ImportJob, PlaidItem
from notifications.models import Alert, WebhookDeliveryAttempt, WebhookEndpoint
from notifications.webhooks import endpoint_secret, webhook_endpoint_create, webhook_endpoint_send_test
from tests.accounts.factories import UserFactory
from tests.finance import builders as b
from tests.finance.factories import ItemFactory

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def _label(model: type[Model]) -> str:
    return model._meta.label


TENANT_MODELS = sorted(
    (m for m in apps.get_models() if issubclass(m, TenantOwned) and admin.site.is_registered(m)), key=_label
)
# Every column in the admin that names a person: who owns a row, who did something.
PERSON_FIELDS = sorted(
    (
        (model, field.name)
        for model in admin.site._registry
        for field in model._meta.fields
        if field.is_relation and field.related_model is apps.get_model(settings.AUTH_USER_MODEL)
    ),
    key=lambda pair: (_label(pair[0]), pair[1]),
)


@pytest.fixture
def customer() -> User:
    """A person with a row in every admin that shows people's data."""
    person = UserFactory.create()
    with tenant_context(person.pk):
        item = ItemFactory(user=person, cursor="cursor-after-page-9")
        card = b.account(person.pk, type="credit", item=item, balance=42_00)
        b.txn(person.pk, card, amount=4_50, day=date(2026, 3, 2))
        CreditReport.objects.create(
            user=person, pulled_on=date(2026, 3, 1), trigger="consent", raw_encrypted="-"
        )
        Alert.objects.create(user=person, kind=Alert.Kind.NEW_INQUIRY, title="New inquiry", dedupe_key="i:1")
        endpoint = webhook_endpoint_create(
            user_id=person.pk, url="https://93.184.215.14/hooks", events=["alert.created"]
        ).endpoint
        delivery = webhook_endpoint_send_test(user_id=person.pk, endpoint_pk=endpoint.pk)
        WebhookDeliveryAttempt.objects.create(user=person, delivery=delivery, number=1, status_code=500)
        ImportJob.objects.create(user=person, filename="bank.csv", content=b"date,amount\n", size=12)
        BillingCustomer.objects.create(user=person, stripe_customer_id="cus_admin")
        Subscription.objects.create(
            user=person, stripe_subscription_id="sub_admin", stripe_customer_id="cus_admin", status="active"
        )
    api_key_create(owner_id=person.pk, name="laptop")
    TOTP.activate(person, generate_totp_secret())
    return person


@pytest.fixture
def staff() -> User:
    # A superuser passes every permission check, so whatever holds for them holds for all staff.
    return UserFactory.create(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_client(staff: User) -> Client:
    client = Client()
    client.force_login(staff)
    return client


def _rows(model: type[Model]) -> list[dict[str, Any]]:
    with maintenance_access("test: compare rows"):
        return list(
            model._default_manager.order_by("pk").values("pk", *(f.attname for f in model._meta.fields))
        )


def _first(model: type[Model], **filters: Any) -> Any:
    with maintenance_access("test: find a row"):
        return model._default_manager.filter(**filters).order_by("pk").first()


def _url(model: type[Model], view: str = "", pk: Any = None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return f"{base}{pk}/{view}/" if pk is not None else f"{base}{view}/" if view else base


class _Inputs(HTMLParser):
    """The names of the form controls on a page, hidden ones included (they submit values too)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs).get("name")
        if tag in ("input", "select", "textarea") and named and named != "csrfmiddlewaretoken":
            self.names.add(named)


def _inputs(html: str) -> set[str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.names


def test_the_walk_covers_the_financial_data_staff_could_edit() -> None:
    assert {"finance.Transaction", "finance.PlaidItem", "finance.CreditReport", "finance.Account"} <= {
        _label(m) for m in TENANT_MODELS
    }


@pytest.mark.parametrize("model", TENANT_MODELS, ids=_label)
def test_staff_see_customer_data_and_cannot_add_change_or_delete_it(
    model: type[Model], customer: User, staff_client: Client
) -> None:
    row = _first(model, user=customer)
    assert row is not None, f"give the customer a {_label(model)} row in the `customer` fixture"
    other = UserFactory.create()
    before = _rows(model)

    assert staff_client.get(_url(model), {"q": customer.email}).status_code == 200
    page = staff_client.get(_url(model, "change", row.pk))
    assert page.status_code == 200
    assert _inputs(page.content.decode()) == set()
    changelist = staff_client.get(_url(model)).content.decode()
    assert 'value="delete_selected"' not in changelist

    assert staff_client.post(_url(model, "change", row.pk), {"user": other.pk}).status_code == 403
    assert staff_client.get(_url(model, "add")).status_code == 403
    assert staff_client.post(_url(model, "add"), {"user": other.pk}).status_code == 403
    assert staff_client.get(_url(model, "delete", row.pk)).status_code == 403
    assert staff_client.post(_url(model, "delete", row.pk), {"post": "yes"}).status_code == 403
    staff_client.post(_url(model), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert _rows(model) == before


@pytest.mark.parametrize(
    ("model", "field"), PERSON_FIELDS, ids=lambda v: v if isinstance(v, str) else _label(v)
)
def test_no_admin_lets_staff_say_whose_a_row_is(
    model: type[Model], field: str, customer: User, staff_client: Client
) -> None:
    row = _first(model, **{f"{field}__isnull": False})
    assert row is not None, f"give the `customer` fixture a {_label(model)} row with a {field}"
    other = UserFactory.create()

    def owners() -> dict[Any, Any]:
        return {r["pk"]: r[f"{field}_id"] for r in _rows(model)}

    before = owners()
    page = staff_client.get(_url(model, "change", row.pk))
    assert page.status_code == 200
    assert field not in _inputs(page.content.decode())
    staff_client.post(_url(model, "change", row.pk), {field: other.pk})
    assert staff_client.get(_url(model, "add")).status_code == 403
    after = owners()  # the audit log grows with every request; its earlier rows keep their people
    assert {pk: after[pk] for pk in before} == before


def test_the_user_admin_cannot_hand_an_account_to_another_mailbox_or_delete_it(
    customer: User, staff_client: Client
) -> None:
    page = staff_client.get(_url(User, "change", customer.pk))
    assert page.status_code == 200
    assert "email" not in _inputs(page.content.decode())
    assert "full_name" in _inputs(page.content.decode())  # the profile itself stays editable

    form = {
        "email": "staff-mailbox@example.com",
        "full_name": "Renamed",
        "timezone": "UTC",
        "currency": "USD",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    assert staff_client.post(_url(User, "change", customer.pk), form).status_code == 302
    customer.refresh_from_db()
    assert customer.email != "staff-mailbox@example.com"
    assert customer.full_name == "Renamed"

    assert staff_client.post(_url(User, "delete", customer.pk), {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=customer.pk).exists()


def test_webhook_signing_secrets_never_show_in_the_admin(customer: User, staff_client: Client) -> None:
    endpoint = _first(WebhookEndpoint, user=customer)
    secret = endpoint_secret(endpoint)
    for url in (_url(WebhookEndpoint), _url(WebhookEndpoint, "change", endpoint.pk)):
        page = staff_client.get(url).content.decode()
        assert secret not in page
        assert endpoint.secret_encrypted not in page
        assert "secret_encrypted" not in page


# --- operations: actions that call the services ---------------------------------------------------------
def _act(client: Client, model: type[Model], action: str, rows: list[Any]) -> None:
    page = client.get(_url(model)).content.decode()
    assert f'value="{action}"' in page, f"{action} is not offered"
    response = client.post(_url(model), {"action": action, "_selected_action": [r.pk for r in rows]})
    assert response.status_code == 302


def _audited(action: str, staff: User) -> list[dict[str, Any]]:
    with maintenance_access("test: read the audit log"):
        return list(AuditEntry.objects.filter(action=action, actor=staff).values_list("details", flat=True))


def test_sync_now_queues_a_sync_of_the_connection_and_its_cards(
    customer: User, staff: User, staff_client: Client, enqueued: Callable[[], list[str]]
) -> None:
    item = _first(PlaidItem, user=customer)
    _act(staff_client, PlaidItem, "sync_now", [item])
    assert enqueued() == ["finance.plaid.refresh_liabilities", "finance.plaid.sync_item"]
    item = _first(PlaidItem, pk=item.pk)
    assert item.sync_state == PlaidItem.SyncState.QUEUED
    assert item.cursor == "cursor-after-page-9"
    assert _audited("plaid.item_sync_requested", staff) == [{"item": item.pk}]


def test_reset_cursor_forgets_the_cursor_and_queues_a_full_sync(
    customer: User, staff: User, staff_client: Client, enqueued: Callable[[], list[str]]
) -> None:
    item = _first(PlaidItem, user=customer)
    other = UserFactory.create()
    with tenant_context(other.pk):
        untouched = ItemFactory(user=other, cursor="someone-elses-cursor")
    _act(staff_client, PlaidItem, "reset_cursor", [item])
    assert _first(PlaidItem, pk=item.pk).cursor == ""
    assert _first(PlaidItem, pk=untouched.pk).cursor == "someone-elses-cursor"
    assert enqueued() == ["finance.plaid.refresh_liabilities", "finance.plaid.sync_item"]
    assert _audited("plaid.item_cursor_reset", staff) == [{"item": item.pk}]


def test_an_action_on_several_connections_of_several_people_reaches_each(
    customer: User, staff_client: Client, enqueued: Callable[[], list[str]]
) -> None:
    other = UserFactory.create()
    with tenant_context(other.pk):
        ItemFactory(user=other)
    with maintenance_access("test: list every connection"):
        items = list(PlaidItem.objects.all())
    assert {i.user_id for i in items} == {customer.pk, other.pk}
    started = timezone.now()
    _act(staff_client, PlaidItem, "sync_now", items)
    assert len(enqueued()) == 2 * len(items)
    assert all(_first(PlaidItem, pk=i.pk).sync_state_at >= started for i in items)
