"""Entitlements per plan, and the gates that enforce them on pages and in the API: a clear upgrade
prompt (a page linking to the plans, or 402 JSON), never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from billing.plans import PLANS, Interval, plan_for_price, plans_with
from billing.selectors import entitlements
from billing.views import PRICE_CACHE_KEY, PriceTag, months_free
from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.banking.allowance import institution_allowance
from finance.models import PlaidItem
from tests.billing.conftest import make_user, put_on_plan, signed_in

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "maint"]),
    pytest.mark.urls("tests.billing.urls"),  # + accounts.urls, until the project includes it
]

ALL_PLANS = ["trial", "basic", "pro", "family", "expired"]
LIMITS = {"trial": 2, "basic": 3, "pro": 10, "family": 20, "expired": 0}
REFRESH = {"trial": "monthly", "basic": "monthly", "pro": "weekly", "family": "weekly", "expired": None}
API = {"pro", "family"}


def person_on(plan: str) -> Any:
    """A user whose entitlements are `plan`: the app-level trial, a subscription, or nothing left."""
    if plan == "trial":
        return make_user()
    user = make_user(joined_days_ago=30)
    if plan != "expired":
        put_on_plan(user, plan)
    return user


def test_the_plan_table() -> None:
    for code, plan in PLANS.items():
        assert (plan.max_institutions, plan.credit_refresh, plan.api_access) == (
            LIMITS[code], REFRESH[code], code in API,
        ), code  # fmt: skip
    assert [p.code for p in plans_with("api_access")] == ["pro", "family"]
    assert plan_for_price("price_family_yearly") == (PLANS["family"], "yearly")
    assert plan_for_price("price_unknown") is None
    with pytest.raises(ValueError, match="unknown feature"):
        plans_with("teleportation")


@pytest.mark.parametrize("plan", ALL_PLANS)
def test_entitlements_and_gates_for_every_plan(plan: str) -> None:
    user = person_on(plan)
    with tenant_binding(user.pk):
        current = entitlements(user)
    assert current.plan.code == plan
    assert (current.max_institutions, current.credit_refresh) == (LIMITS[plan], REFRESH[plan])
    assert current.api_access == (plan in API)
    assert current.read_only == (plan == "expired")
    client = signed_in(user)

    # A page gated on api_access: creating an API key.
    page = client.post("/accounts/api-keys/new/", {"name": "spreadsheet"})
    if plan in API:
        assert page.status_code == 200 and "ck_" in page.content.decode()
    else:
        assert page.status_code == 403
        text = page.content.decode()
        assert "Upgrade to continue" in text and 'href="/billing/"' in text and "Pro" in text

    # The API, with the session.
    for url in ("/api/v1/accounts/", "/api/v1/transactions/", "/api/v1/subscription/"):
        response = client.get(url)
        if plan in API:
            assert response.status_code == 200, url
        else:
            assert response.status_code == 402, url
            error = response.json()["error"]
            assert error["code"] == "upgrade_required" and error["details"]["feature"] == "api_access"
            assert "Pro and Family" in error["message"] and error["details"]["upgrade_url"].endswith(
                "/billing/"
            )

    # The institution limit for "connect a bank".
    with tenant_binding(user.pk):
        allowance = institution_allowance(user)
    assert (allowance.used, allowance.limit, allowance.allowed) == (0, LIMITS[plan], plan != "expired")


GATES = {  # which plans get through each gated view
    "csv_export": {"trial", "basic", "pro", "family"},
    "advanced_charts": set(),  # not built: no plan grants it
    "api_access": {"pro", "family"},
    "writable": {"trial", "basic", "pro", "family"},
    "connect-a-bank": {"trial", "basic", "pro", "family"},
}


@pytest.mark.parametrize("plan", ALL_PLANS)
def test_view_decorators_for_every_plan(plan: str) -> None:
    client = signed_in(person_on(plan))
    for gate, allowed in GATES.items():
        response = client.get(f"/_gates/{gate}/")
        if plan in allowed:
            assert (response.status_code, response.content) == (200, b"through the gate"), gate
        else:
            assert response.status_code == 403, gate
            assert 'href="/billing/"' in response.content.decode(), gate


def test_the_institution_limit_counts_connections(settings) -> None:  # type: ignore[no-untyped-def]
    user = person_on("basic")
    with tenant_context(user.pk):
        for n in range(3):
            PlaidItem.objects.create(user=user, item_id=f"item-{n}", access_token_encrypted="x")
    with tenant_binding(user.pk):
        allowance = institution_allowance(user)
    assert (allowance.used, allowance.limit, allowance.allowed) == (3, 3, False)
    assert "Basic plan connects up to 3 banks, and you have 3" in allowance.message
    refused = signed_in(user).get("/_gates/connect-a-bank/")
    assert refused.status_code == 403 and "connects up to 3 banks" in refused.content.decode()
    put_on_plan(user, "pro")  # upgrading lifts it
    with tenant_binding(user.pk):
        assert institution_allowance(user).allowed
    other = person_on("basic")
    with tenant_binding(other.pk):
        assert institution_allowance(other).used == 0  # somebody else's connections never count


def test_the_app_level_trial_expires_with_the_apps_clock(stripe_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = make_user()
    joined = user.date_joined
    with tenant_binding(user.pk):
        assert entitlements(user).status == "trial"
    with tenant_binding(user.pk):
        assert entitlements(user, at=joined + timedelta(days=13, hours=23)).status == "trial"
    with tenant_binding(user.pk):
        assert entitlements(user, at=joined + timedelta(days=14)).status == "expired"
    client = signed_in(user)
    assert "Your free trial ends in" in client.get("/billing/").content.decode()

    user.date_joined = timezone.now() - timedelta(days=15)  # two weeks later
    user.save(update_fields=["date_joined"])
    page = client.get("/billing/").content.decode()
    assert "Your free trial has ended" in page and "Read-only" in page
    assert client.post("/accounts/api-keys/new/", {"name": "x"}).status_code == 403


def test_past_due_keeps_the_plan_for_the_grace_period_only(settings, stripe_sandbox) -> None:  # type: ignore[no-untyped-def]
    user = person_on("expired")
    subscription = put_on_plan(user, "pro", status="past_due")
    assert subscription.past_due_since is not None
    grace_end = subscription.past_due_since + timedelta(days=settings.PAST_DUE_GRACE_DAYS)
    with tenant_binding(user.pk):
        assert entitlements(user).status == "past_due" and entitlements(user).api_access
    with tenant_binding(user.pk):
        assert entitlements(user).grace_ends_at == grace_end
    with tenant_binding(user.pk):
        assert entitlements(user, at=grace_end).status == "expired"
    client = signed_in(user)
    assert client.get("/api/v1/accounts/").status_code == 200
    with tenant_context(user.pk):
        type(subscription).objects.filter(pk=subscription.pk).update(
            past_due_since=timezone.now() - timedelta(days=settings.PAST_DUE_GRACE_DAYS + 1)
        )
    assert client.get("/api/v1/accounts/").status_code == 402
    assert "couldn't collect your last payment" in client.get("/billing/").content.decode()


def test_the_best_granting_subscription_wins_and_unknown_prices_grant_nothing() -> None:
    user = person_on("expired")
    put_on_plan(user, "basic")
    put_on_plan(user, "family", status="canceled")
    with tenant_binding(user.pk):
        assert entitlements(user).plan.code == "basic"
    put_on_plan(user, "pro", status="trialing")
    with tenant_binding(user.pk):
        assert entitlements(user).plan.code == "pro"

    stranger = person_on("expired")
    put_on_plan(stranger, "", status="active")  # a price that is none of ours
    with tenant_binding(stranger.pk):
        assert entitlements(stranger).status == "expired"


def test_anonymous_people_are_sent_to_log_in_or_get_401_403() -> None:
    client = Client()
    assert client.get("/billing/").status_code == 302
    assert client.get("/accounts/api-keys/").status_code == 302
    assert client.get("/api/v1/accounts/").status_code in (401, 403)
    assert entitlements(None).status == "expired"


def test_the_pricing_page_shows_stripes_prices_to_visitors_and_the_picker_to_people(stripe_sandbox) -> None:  # type: ignore[no-untyped-def]
    cache.delete(PRICE_CACHE_KEY)
    page = Client().get("/billing/pricing/")
    assert page.status_code == 200 and "pricing.html" in [t.name for t in page.templates]
    shown = {
        code: (tags["monthly"].amount, tags["yearly"].amount, tags["yearly"].per_month)
        for code, tags in page.context["prices"].items()
    }
    # The sandbox's prices; against Stripe, whatever the configured price ids cost.
    assert shown == {
        "basic": ("$6", "$60", "$5"),
        "pro": ("$12", "$120", "$10"),
        "family": ("$18", "$180", "$15"),
    }
    html = page.content.decode()
    assert page.context["months_free"] == 2 and "2 months free" in html
    assert "Two months: a year costs two months less than twelve monthly payments." in html
    assert '<span class="amount">$120</span>' in html
    picker = signed_in(make_user())
    assert picker.get("/billing/pricing/")["Location"] == "/billing/"
    picked = " ".join(picker.get("/billing/").content.decode().split())
    assert '<span class="amount">$12</span>' in picked and "or $120 a year ($10 a month)" in picked
    assert "Pro </span>Yearly · $120 / year</button>" in picked


def test_the_pricing_page_without_stripe_promises_no_numbers(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SANDBOX_URL = "http://127.0.0.1:9"  # nothing listens there
    cache.delete(PRICE_CACHE_KEY)
    page = Client().get("/billing/pricing/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("Prices are shown when you choose a plan.") == 3
    assert "months free" not in html and '<span class="amount">$0</span>' in html  # the trial is ours


def test_price_tags_read_like_prices() -> None:
    assert PriceTag(600, "USD", "month").label == "$6 / month"
    assert PriceTag(650, "USD", "month").amount == "$6.50"
    assert PriceTag(6500, "EUR", "year").per_month == "€5.42"
    tags: dict[Interval, PriceTag] = {
        "monthly": PriceTag(1000, "USD", "month"),
        "yearly": PriceTag(9000, "USD", "year"),
    }
    assert months_free({code: tags for code in ("basic", "pro", "family")}) == 3
    assert months_free({"basic": tags}) == 0  # not every plan known: say nothing
