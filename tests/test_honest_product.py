"""Every page says what the product does today: plan descriptions come from billing/plans.py, nothing
promises features that do not exist, and every email names the site and links to it as SITE_NAME and
SITE_URL say, never as the request's host."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client

import billing.selectors
import billing.views
from billing import plans
from billing.notices import billing_notice_send
from creditapp.tenancy.db import tenant_binding, tenant_context
from notifications.models import Alert
from tests.accounts.factories import PASSWORD, UserFactory
from tests.billing.conftest import make_user, put_on_plan, signed_in

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

SITE_NAME = "Northwind Credit"
SITE_URL = "https://credit.example.com"
TEST_HOST = "testserver"  # what Django's test client sends as Host


class PlanPage(HTMLParser):
    """What a page says about plans: the feature lines of each plan card (keyed by the card's
    `plan-<code>` heading, or "page" outside a card) and the comparison table's rows."""

    def __init__(self, html: str):
        super().__init__()
        self.features: dict[str, list[str]] = {}
        self.rows: list[list[str]] = []
        self._card = "page"
        self._depth = 0  # <section> nesting inside the current card
        self._in_list = False
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        classes = (attr.get("class") or "").split()
        if tag == "section":
            labelled = attr.get("aria-labelledby") or ""
            if "plan" in classes and labelled.startswith("plan-"):
                self._card, self._depth = labelled.removeprefix("plan-"), 1
            elif self._card != "page":
                self._depth += 1
        elif tag == "ul" and {"plan-features", "trial-features"} & set(classes):
            self._in_list = True
            self.features.setdefault(self._card, [])
        elif tag == "li" and self._in_list:
            self._cell = []
        elif tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._card != "page":
            self._depth -= 1
            if self._depth == 0:
                self._card = "page"
        elif tag == "ul":
            self._in_list = False
        elif tag == "li" and self._in_list and self._cell is not None:
            self.features[self._card].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag in ("th", "td") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def shown(value: str | bool) -> str:
    """A comparison value as the table reads: includes/plan_mark.html's text for yes and no."""
    if value is True:
        return "✓Included"
    if value is False:
        return "—Not included"
    return value


@pytest.fixture(autouse=True)
def no_prices() -> None:
    """What the pages say a plan includes, whatever Stripe charges: prices (tested against the Stripe
    sandbox in tests/billing) are left out, as when Stripe cannot be reached."""
    cache.set(billing.views.PRICE_CACHE_KEY, {}, billing.views.PRICE_CACHE_SECONDS)


def change_plan(monkeypatch: pytest.MonkeyPatch, code: str, **entitlements: Any) -> plans.Plan:
    """Give plan `code` other entitlements for one test, everywhere the app looks plans up."""
    changed = dataclasses.replace(plans.PLANS[code], **entitlements)
    monkeypatch.setitem(plans.PLANS, code, changed)
    monkeypatch.setattr(plans, code.upper(), changed)
    paid = tuple(changed if plan.code == code else plan for plan in plans.PAID_PLANS)
    monkeypatch.setattr(plans, "PAID_PLANS", paid)
    monkeypatch.setattr(billing.views, "PAID_PLANS", paid)
    if code == "trial":
        monkeypatch.setattr(billing.selectors, "TRIAL", changed)
    return changed


def public_plans() -> list[plans.Plan]:
    return [plans.PLANS["trial"], *plans.PAID_PLANS]


def check_pages_follow_the_plans_module() -> None:
    pricing = PlanPage(Client().get("/pricing/").content.decode())
    assert pricing.features == {plan.code: plan.feature_lines() for plan in public_plans()}
    table = pricing.rows
    assert table[0] == ["Feature", *(plan.name for plan in public_plans())]
    by_plan = [[row.label, *map(shown, row.values)] for row in plans.comparison(public_plans())]
    every = [[line, *["✓Included"] * len(public_plans())] for line in plans.EVERY_PLAN]
    assert [row for row in table[1:] if row[0] not in ("By plan", "In every plan")] == by_plan + every

    signup = PlanPage(Client().get("/accounts/signup/").content.decode())
    assert signup.features == {"page": plans.PLANS["trial"].feature_lines()}

    on_trial = signed_in(make_user())
    picker = PlanPage(on_trial.get("/billing/").content.decode())
    assert picker.features == {plan.code: plan.feature_lines() for plan in plans.PAID_PLANS}
    onboarding = PlanPage(on_trial.get("/app/welcome/plan/").content.decode())
    assert onboarding.features == {"page": plans.PLANS["trial"].feature_lines()}
    settings_page = PlanPage(on_trial.get("/app/settings/").content.decode())
    assert settings_page.features == {"page": plans.PLANS["trial"].feature_lines()}

    on_pro = make_user(joined_days_ago=30)
    put_on_plan(on_pro, "pro")
    pro_settings = PlanPage(signed_in(on_pro).get("/app/settings/").content.decode())
    assert pro_settings.features == {"page": plans.PLANS["pro"].feature_lines()}


def test_plan_descriptions_are_the_plans_modules() -> None:
    assert plans.PLANS["trial"].feature_lines() == [
        "Up to 2 banks and cards",
        "Experian credit report and score, refreshed monthly",
        "CSV export of your transactions",
    ]
    check_pages_follow_the_plans_module()


def test_pages_follow_a_changed_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    pro = change_plan(monkeypatch, "pro", max_institutions=11, email_summaries=True)
    trial = change_plan(monkeypatch, "trial", api_access=True, credit_refresh="weekly")
    assert "Up to 11 banks and cards" in pro.feature_lines()
    assert "Weekly or monthly email summaries" in pro.feature_lines()
    assert "REST API and personal API keys" in trial.feature_lines()
    check_pages_follow_the_plans_module()
    pricing = Client().get("/pricing/").content.decode()
    assert "Weekly or monthly email summaries" in pricing  # a feature row appears once a plan has it


def test_taglines_claim_only_what_the_entitlements_grant() -> None:
    _, basic, pro, family = public_plans()
    assert pro.credit_refresh == "weekly" != basic.credit_refresh  # "a closer eye on your credit"
    assert pro.max_institutions > basic.max_institutions and pro.api_access  # "more banks", "own tools"
    assert family.max_institutions > pro.max_institutions  # "Pro with room for more banks and cards"
    assert set(pro.feature_lines()) - {f"Up to {pro.max_institutions} banks and cards"} <= set(
        family.feature_lines()
    )


REMOVED_PROMISES = [
    "email summar",
    "summaries in your inbox",
    "family sharing",
    "advanced charts",
    "coming soon",
    "write to support",
    "everything in pro",
    "free for two weeks",
    "delete your account",
    "export your data",
    "everything works",
]


def test_no_page_promises_what_the_product_does_not_do() -> None:
    visitor = Client()
    person = signed_in(make_user())
    pages = {
        "home": visitor.get("/"),
        "pricing": visitor.get("/pricing/"),
        "signup": visitor.get("/accounts/signup/"),
        "login": visitor.get("/accounts/login/"),
        "plans": person.get("/billing/"),
        "settings": person.get("/app/settings/"),
        "onboarding": person.get("/app/welcome/plan/"),
        "onboarding profile": person.get("/app/welcome/profile/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        text = response.content.decode().lower()
        assert [promise for promise in REMOVED_PROMISES if promise in text] == [], name


def test_settings_say_plainly_what_exists_with_one_date_format() -> None:
    person = make_user()
    html = signed_in(person).get("/app/settings/").content.decode()
    assert 'href="/app/transactions/export.csv"' in html  # the export the plan includes
    assert 'href="/app/connections/"' in html and 'href="/app/credit/consent/"' in html
    assert re.search(r"Free trial until [A-Z][a-z]+ \d{1,2}, \d{4}\.", html)
    assert "For your own scripts (Pro and Family)." in html


# --- emails ----------------------------------------------------------------------------------------
@pytest.fixture
def branded(settings: Any) -> None:
    settings.SITE_NAME, settings.SITE_URL = SITE_NAME, SITE_URL
    cache.clear()  # allauth's rate limits live in the cache
    mail.outbox.clear()


def check_branded(message: mail.EmailMessage, path: str) -> str:
    body = str(message.body)
    assert f"Hello from {SITE_NAME}!" in body and f"Thank you for using {SITE_NAME}." in body
    assert re.search(rf"^{re.escape(SITE_URL)}{re.escape(path)}\S*$", body, re.MULTILINE), body
    assert TEST_HOST not in body and TEST_HOST not in str(message.subject)
    return body


def link_in(body: str, path: str) -> str:
    found = re.search(rf"{re.escape(SITE_URL)}({re.escape(path)}\S*)", body)
    assert found, body
    return found.group(1)


def test_signup_verification_email_is_branded_and_its_link_works(branded: None) -> None:
    client = Client()
    signup = {"email": "new.person@example.com", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post("/accounts/signup/", signup).status_code == 302
    [message] = mail.outbox
    body = check_branded(message, "/accounts/confirm-email/")
    assert "new.person@example.com" in body and "Confirm your email address" in message.subject
    confirm = client.get(link_in(body, "/accounts/confirm-email/"))
    assert confirm.status_code == 200 and b"Confirm" in confirm.content


def test_password_reset_email_is_branded_and_its_link_works(branded: None) -> None:
    user = UserFactory.create()
    client = Client()
    assert client.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    [message] = mail.outbox
    body = check_branded(message, "/accounts/password/reset/key/")
    assert "Reset your password" in message.subject
    page = client.get(link_in(body, "/accounts/password/reset/key/"), follow=True)
    assert page.status_code == 200 and b"password1" in page.content


def test_emails_to_unknown_and_existing_addresses_are_branded(branded: None) -> None:
    existing = UserFactory.create()
    client = Client()
    signup = {"email": existing.email, "password1": PASSWORD, "password2": PASSWORD}
    client.post("/accounts/signup/", signup)
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    already, unknown = mail.outbox
    check_branded(already, "/accounts/password/reset/")
    check_branded(unknown, "/accounts/signup/")


def test_billing_notice_email_is_branded(branded: None) -> None:
    user = UserFactory.create()
    with tenant_context(user.pk):
        alert = Alert.objects.create(
            user=user, kind=Alert.Kind.BILLING, title="Your payment didn't go through",
            body="Update your card.", dedupe_key="billing:test", link="/billing/",
        )  # fmt: skip
    with tenant_binding(user.pk):
        billing_notice_send(user_id=user.pk, alert_pk=alert.pk)
    [message] = mail.outbox
    body = str(message.body)
    assert f"your {SITE_NAME} subscription" in body and f"— {SITE_NAME}" in body
    assert f"Manage billing: {SITE_URL}/billing/" in body and TEST_HOST not in body
