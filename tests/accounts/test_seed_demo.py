"""`manage.py seed_demo` (what `make run` runs): a demo person who lands on a full dashboard."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import User
from creditapp.demo.management.commands.seed_demo import (
    DEMO_EMAIL,
    DEMO_PASSWORD,
    STAFF_EMAIL,
    STAFF_PASSWORD,
)
from creditapp.tenancy.db import tenant_context
from finance.models import CreditReport, OnboardingProgress, PlaidItem, Transaction

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_the_demo_has_a_synced_bank_a_credit_report_and_no_wizard(sandbox_url: str) -> None:
    printed = seed()
    assert f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}" in printed
    user = User.objects.get(email=DEMO_EMAIL)
    with tenant_context(user.pk):
        assert PlaidItem.objects.filter(user_id=user.pk).count() == 1
        assert Transaction.objects.filter(user_id=user.pk).count() > 100
        [report] = CreditReport.objects.filter(user_id=user.pk)
        assert report.status == CreditReport.Status.COMPLETE
        assert OnboardingProgress.objects.get(user_id=user.pk).completed_at is not None

    client = Client()
    assert client.login(email=DEMO_EMAIL, password=DEMO_PASSWORD)
    dashboard = client.get("/app/")
    assert dashboard.status_code == 200  # not sent to the set-up wizard
    page = dashboard.content.decode()
    assert "Finish setting up" not in page and "Check my score" not in page

    seed()  # `make run` again: nothing doubles
    with tenant_context(user.pk):
        assert PlaidItem.objects.filter(user_id=user.pk).count() == 1
        assert CreditReport.objects.filter(user_id=user.pk).count() == 1


def test_with_staff_it_prints_a_staff_login_that_opens_the_admin(sandbox_url: str) -> None:
    out = StringIO()
    call_command("seed_demo", "--staff", stdout=out)
    assert f"Staff login: {STAFF_EMAIL} / {STAFF_PASSWORD}" in out.getvalue()
    call_command("seed_demo", "--staff", stdout=StringIO())  # again: still one staff user
    assert User.objects.filter(email=STAFF_EMAIL, is_staff=True).count() == 1

    client = Client()
    assert client.login(email=STAFF_EMAIL, password=STAFF_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_the_staff_login_is_refused_in_production(settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="development only"):
        call_command("seed_demo", "--staff", stdout=StringIO())
    assert not User.objects.filter(email=STAFF_EMAIL).exists()
