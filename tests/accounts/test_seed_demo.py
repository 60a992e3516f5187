"""`manage.py seed_demo` (what `make run` runs): a demo person who lands on a full dashboard."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.management.commands.seed_demo import DEMO_EMAIL, DEMO_PASSWORD
from accounts.models import User
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
