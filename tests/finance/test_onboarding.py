"""The setup wizard: each step, skipping and resuming, saved progress, and who is sent there."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from creditapp.tenancy.db import tenant_context
from finance.models import OnboardingProgress
from tests.accounts.factories import UserFactory
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def progress_of(user) -> OnboardingProgress:  # type: ignore[no-untyped-def]
    with tenant_context(user.pk):
        return OnboardingProgress.objects.get(user_id=user.pk)


def test_the_whole_wizard_with_skips_then_resuming_from_the_dashboard() -> None:
    user = UserFactory(full_name="")
    client = client_for(user)
    assert client.get("/app/")["Location"] == "/app/welcome/"
    assert client.get("/app/welcome/")["Location"] == "/app/welcome/profile/"
    page = client.get("/app/welcome/profile/").content.decode()
    assert "Step 1 of 4" in page and "data-detect-timezone" in page
    assert "Finish setting up your account" not in page  # no banner on the wizard itself

    bad = client.post(
        "/app/welcome/profile/", {"full_name": "Ada", "timezone": "Mars/Olympus", "currency": "USD"}
    )
    assert bad.status_code == 400
    done = client.post(
        "/app/welcome/profile/", {"full_name": "Ada Lovelace", "timezone": "Europe/London", "currency": "GBP"}
    )
    assert done["Location"] == "/app/welcome/bank/"
    user.refresh_from_db()
    assert (user.full_name, user.timezone, user.currency) == ("Ada Lovelace", "Europe/London", "GBP")

    # Leaving half-way: every page offers the way back, and the dashboard still sends people there.
    elsewhere = client.get("/app/transactions/").content.decode()
    assert "Finish setting up your account" in elsewhere and 'href="/app/welcome/"' in elsewhere
    assert client.get("/app/")["Location"] == "/app/welcome/"
    assert client.get("/app/welcome/")["Location"] == "/app/welcome/bank/"

    bank = client.get("/app/welcome/bank/").content.decode()
    assert 'action="/app/connections/new/"' in bank
    assert client.post("/app/welcome/bank/", {"action": "skip"})["Location"] == "/app/welcome/credit/"
    credit = client.get("/app/welcome/credit/").content.decode()
    assert 'href="/app/credit/consent/"' in credit
    assert client.post("/app/welcome/credit/", {"action": "skip"})["Location"] == "/app/welcome/plan/"
    plan = client.get("/app/welcome/plan/").content.decode()
    assert "free trial" in plan and 'href="/billing/"' in plan
    finished = client.post("/app/welcome/plan/", {"action": "done"})
    assert finished["Location"] == "/app/"

    progress = progress_of(user)
    assert (progress.profile, progress.bank, progress.credit, progress.plan) == (
        "done",
        "skipped",
        "skipped",
        "done",
    )
    assert progress.completed_at is not None
    dashboard = client.get("/app/")
    assert dashboard.status_code == 200 and dashboard.context["resume_steps"] == ["bank", "credit"]
    html = dashboard.content.decode()
    assert "Finish setting up your account" not in html  # the banner is gone...
    assert 'href="/app/welcome/bank/"' in html  # ...and the skipped steps wait on the dashboard


def test_coming_back_from_the_bank_marks_the_step_done() -> None:
    user = UserFactory()
    client = client_for(user)
    client.post("/app/welcome/profile/", {"full_name": "Bo", "timezone": "UTC", "currency": "USD"})
    with tenant_context(user.pk):
        from finance.models import PlaidItem

        PlaidItem.objects.create(
            user_id=user.pk, item_id="i-1", institution_name="Tartan Bank", access_token_encrypted="x"
        )
    page = client.get("/app/welcome/bank/").content.decode()
    assert "Tartan Bank" in page and "Connected" in page
    assert progress_of(user).bank == "done"
    assert client.get("/app/welcome/")["Location"] == "/app/welcome/credit/"


def test_people_with_data_from_before_the_wizard_are_not_sent_to_it() -> None:
    user = UserFactory()
    with tenant_context(user.pk):
        b.account(user.pk)
    client = client_for(user)
    assert client.get("/app/").status_code == 200
    progress = progress_of(user)
    assert progress.completed_at is not None and progress.credit == "skipped"


def test_unknown_steps_and_progress_belong_to_each_person() -> None:
    alice, bob = UserFactory(), UserFactory()
    client_for(alice).post("/app/welcome/profile/", {"full_name": "A", "timezone": "UTC", "currency": "USD"})
    bob_client = client_for(bob)
    assert bob_client.get("/app/welcome/nope/").status_code == 404
    assert bob_client.get("/app/welcome/")["Location"] == "/app/welcome/profile/"
    assert progress_of(alice).profile == "done" and progress_of(bob).profile == ""
    assert User.objects.get(pk=bob.pk).full_name == bob.full_name


def test_settings_change_the_profile_and_link_the_security_pages() -> None:
    user = UserFactory()
    client = client_for(user)
    page = client.get("/app/settings/").content.decode()
    for href in ("/accounts/password/change/", "/accounts/2fa/", "/accounts/email/", "/billing/"):
        assert f'href="{href}"' in page, href
    response = client.post(
        "/app/settings/", {"full_name": "New Name", "timezone": "America/Chicago", "currency": "CAD"}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.timezone, user.currency) == ("New Name", "America/Chicago", "CAD")
