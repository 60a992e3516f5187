"""Headers on every response: a Content-Security-Policy whose form targets follow the configured vendors,
and `Cache-Control: no-store` on pages, exports and API answers (people's financial data)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.api_keys import api_key_create
from creditapp.tenancy.db import tenant_context
from finance.models import OnboardingProgress
from tests.billing.conftest import make_user, put_on_plan
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

LOGIN = "/accounts/login/"


def form_action(response: Any) -> list[str]:
    directives = (part.strip().split() for part in response["Content-Security-Policy"].split(";"))
    [sources] = [rest for name, *rest in directives if name == "form-action"]
    return sources


# --- form-action -----------------------------------------------------------------------------------
def test_real_stripe_and_plaid_allow_only_stripes_hosted_pages(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_live_0123456789"
    settings.PLAID_CLIENT_ID, settings.PLAID_SECRET = "client-id", "plaid-secret"
    settings.SANDBOX_URL = settings.SANDBOX_PUBLIC_URL = "http://127.0.0.1:8765"
    assert form_action(Client().get(LOGIN)) == [
        "'self'",
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
    ]


def test_real_stripe_with_the_plaid_sandbox_adds_the_link_stand_in(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_live_0123456789"
    settings.PLAID_CLIENT_ID = settings.PLAID_SECRET = ""
    settings.SANDBOX_URL, settings.SANDBOX_PUBLIC_URL = "http://sandbox:8765", "http://localhost:8765"
    assert form_action(Client().get(LOGIN)) == [
        "'self'",
        "https://checkout.stripe.com",
        "https://billing.stripe.com",
        "http://localhost:8765",
    ]


def test_the_sandbox_is_allowed_at_the_address_the_browser_reaches(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = settings.PLAID_CLIENT_ID = settings.PLAID_SECRET = ""
    settings.SANDBOX_URL = "http://sandbox:8765"  # server to server: never a browser's target
    settings.SANDBOX_PUBLIC_URL = "http://localhost:8765/"
    assert form_action(Client().get(LOGIN)) == ["'self'", "http://localhost:8765"]


def test_the_policy_follows_settings_changed_after_start(settings: Any) -> None:
    client = Client()
    settings.STRIPE_SECRET_KEY = ""
    settings.SANDBOX_PUBLIC_URL = "http://localhost:9001"
    assert "http://localhost:9001" in form_action(client.get(LOGIN))
    settings.SANDBOX_PUBLIC_URL = "http://localhost:9002"
    assert form_action(client.get(LOGIN))[-1] == "http://localhost:9002"


# --- caching ---------------------------------------------------------------------------------------
@pytest.fixture
def customer() -> Any:
    """A Pro customer, set up, with a bank account and one transaction."""
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "pro")
    with tenant_context(user.pk):
        OnboardingProgress.objects.create(
            user_id=user.pk, profile="done", bank="done", credit="done", plan="done",
            completed_at=timezone.now(),
        )  # fmt: skip
        account = b.account(user.pk, name="Checking")
        b.txn(user.pk, account, amount=450, day=timezone.now().date())
    return user


@pytest.mark.parametrize(
    "path",
    ["/app/", "/app/transactions/", "/app/transactions/export.csv", "/app/accounts/", "/app/settings/"],
)
def test_pages_and_exports_are_never_stored(customer: Any, path: str) -> None:
    client = Client()
    client.force_login(customer)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_api_answers_are_never_stored(customer: Any) -> None:
    token = api_key_create(owner_id=customer.pk, name="cli").token
    response = Client().get("/api/v1/transactions/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["results"]
    assert response["Cache-Control"] == "no-store"


def test_errors_and_redirects_are_never_stored() -> None:
    assert Client().get("/app/")["Cache-Control"] == "no-store"  # to the login page
    assert Client().get("/api/v1/transactions/")["Cache-Control"] == "no-store"  # 401/403


def test_a_views_own_cache_control_is_kept() -> None:
    response = Client().get("/health")
    assert "no-store" in response["Cache-Control"] and "must-revalidate" in response["Cache-Control"]


def test_static_files_keep_whitenoises_caching(settings: Any) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/ (the handler reads it when it starts)
    settings.WHITENOISE_AUTOREFRESH = True
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
