"""The credit pages through the real views: consent and identity, the overview, reports, isolation."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

from creditapp.tenancy.db import maintenance_access, tenant_binding, tenant_context
from finance.credit.services import CONSENT_TEXT, CONSENT_VERSION, credit_report_pull
from finance.models import CreditProfile, CreditReport, Inquiry, ScoreFactor, Tradeline
from tests.accounts.factories import UserFactory
from tests.finance.credit_helpers import (
    ExperianSandbox,
    backdate_reports,
    consent,
    pull_on_demand,
    sent_account_numbers,
)

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])
ON_DEMAND = CreditReport.Trigger.ON_DEMAND
FORM = {
    "first_name": "Maria",
    "last_name": "Martinez",
    "date_of_birth": "1979-11-02",
    "ssn": "123-44-5566",
    "line1": "12 Harbor Way",
    "line2": "",
    "city": "Portland",
    "state": "OR",
    "zip_code": "97201",
    "consent": "on",
    "consent_version": CONSENT_VERSION,
}


def signed_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_consent_page_then_first_pull(experian_sandbox: ExperianSandbox, enqueued) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client = signed_in(user)
    assert client.get("/app/credit/")["Location"] == "/app/credit/consent/"
    page = client.get("/app/credit/consent/").content.decode()
    assert CONSENT_TEXT[:60] in page and 'name="ssn"' in page and 'type="checkbox"' in page

    refused = client.post("/app/credit/consent/", FORM | {"consent": "", "ssn": "666-12-3456"})
    assert refused.status_code == 200
    body = refused.content.decode()
    assert "not a valid Social Security number" in body and "666-12-3456" not in body  # never echoed
    with tenant_context(user.pk):
        assert not CreditProfile.objects.exists()

    saved = client.post("/app/credit/consent/", FORM, REMOTE_ADDR="198.51.100.7")
    assert saved.status_code == 302 and saved["Location"] == "/app/credit/"
    assert enqueued() == ["finance.credit.refresh_user"]
    with tenant_context(user.pk):
        profile = CreditProfile.objects.get()
        assert (profile.ssn_last4, str(profile.consent_ip)) == ("5566", "198.51.100.7")
    assert "Getting your report" in client.get("/app/credit/").content.decode()

    # Editing the details later: the SSN is never sent back, and an empty field keeps it.
    edit = client.get("/app/credit/consent/").content.decode()
    assert "Martinez" in edit and "123445566" not in edit and "ending in 5566" in edit
    assert client.post("/app/credit/consent/", FORM | {"ssn": "", "city": "Salem"}).status_code == 302
    with tenant_context(user.pk):
        assert CreditProfile.objects.get().identity()["ssn"] == "123445566"


def test_the_overview_shows_score_factors_accounts_inquiries_and_changes(
    experian_sandbox: ExperianSandbox,
) -> None:
    user = UserFactory()
    identity = consent(user.pk)
    experian_sandbox.next_pull(identity.ssn)
    pull_on_demand(user.pk)
    backdate_reports(user.pk)
    experian_sandbox.next_pull(identity.ssn, new_inquiry=True, score_delta=-25)
    with tenant_binding(user.pk):
        latest = credit_report_pull(user_id=user.pk, trigger=ON_DEMAND).report
    assert latest is not None

    client = signed_in(user)
    page = client.get("/app/credit/").content.decode()
    with tenant_context(user.pk):
        score = latest.scores.get()
        factor = ScoreFactor.objects.filter(report=latest).order_by("rank").first()
        creditor = Tradeline.objects.filter(report=latest, is_open=True).first()
        new_inquiry = Inquiry.objects.filter(report=latest).order_by("-inquired_on").first()
    assert factor is not None and creditor is not None and new_inquiry is not None
    assert f">{score.value}<" in page and score.band in page and "VantageScore 4.0" in page
    assert factor.text in page and creditor.creditor in page and new_inquiry.subscriber_name in page
    assert "went down from" in page and "New hard inquiry" in page
    assert "You can refresh your report once a day." in page

    chart = page.split('<script id="score-history-chart" type="application/json">', 1)[1].split(
        "</script>", 1
    )[0]
    config = json.loads(chart)
    assert score.value is not None
    assert config["type"] == "line" and config["data"]["datasets"][0]["data"] == [
        score.value + 25,
        score.value,
    ]
    assert 'data-chart="score-history-chart"' in page and "<script>" not in page  # no inline script (CSP)

    refused = client.post("/app/credit/refresh/", follow=True)
    assert "once a day" in refused.content.decode()
    report_page = client.get(f"/app/credit/reports/{latest.pk}/")
    assert report_page.status_code == 200 and factor.text in report_page.content.decode()


def test_accounts_show_only_the_last_four_digits_of_their_number(
    experian_sandbox: ExperianSandbox, experian_responses: list[dict[str, Any]]
) -> None:
    user = UserFactory()
    consent(user.pk)
    report = pull_on_demand(user.pk).report
    assert report is not None
    (response,) = experian_responses
    tradelines = response["creditProfile"][0]["tradeline"]
    shown = [str(t["accountNumber"])[-8:-4] for t in tradelines if t["openOrClosed"] == "O"]
    assert shown

    client = signed_in(user)
    for path in ("/app/credit/", f"/app/credit/reports/{report.pk}/"):
        page = client.get(path).content.decode()
        for last_four in shown:
            assert f'<span class="muted mono">•• {last_four}</span>' in page
        for number in sent_account_numbers(response):
            assert number[:-4] not in page


def test_another_tenant_never_sees_a_report(experian_sandbox: ExperianSandbox) -> None:
    alice, bob = UserFactory(), UserFactory()
    consent(alice.pk)
    with tenant_binding(alice.pk):
        report = credit_report_pull(user_id=alice.pk, trigger=ON_DEMAND).report
    assert report is not None
    with tenant_context(alice.pk):
        creditor = Tradeline.objects.filter(report=report).first()
    assert creditor is not None

    bob_client = signed_in(bob)
    assert bob_client.get(f"/app/credit/reports/{report.pk}/").status_code == 404
    assert bob_client.get("/app/credit/")["Location"] == "/app/credit/consent/"
    assert creditor.creditor not in bob_client.get("/app/credit/consent/").content.decode()
    assert bob_client.post("/app/credit/refresh/").status_code == 302
    with maintenance_access("test: bob's refresh queued nothing of alice's"):
        assert CreditReport.objects.filter(user_id=alice.pk).count() == 1
        assert not CreditReport.objects.filter(user_id=bob.pk).exists()

    alice_client = signed_in(alice)
    assert alice_client.get(f"/app/credit/reports/{report.pk}/").status_code == 200


def test_withdrawing_consent_deletes_the_identity(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory()
    consent(user.pk)
    client = signed_in(user)
    assert client.post("/app/credit/consent/withdraw/").status_code == 302
    with tenant_context(user.pk):
        assert not CreditProfile.objects.exists()


def test_a_worker_pulls_the_report_after_consent(
    experian_sandbox: ExperianSandbox, celery_worker_process
) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client = signed_in(user)
    assert client.post("/app/credit/consent/", FORM | {"ssn": "123-55-0101"}).status_code == 302
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        with tenant_context(user.pk):
            if CreditReport.objects.filter(user_id=user.pk).exists():
                break
        time.sleep(0.5)
    with tenant_context(user.pk):
        profile = CreditProfile.objects.get(user_id=user.pk)
        report = CreditReport.objects.filter(user_id=user.pk).first()
    assert report is not None, (
        f"no report after 90 s; sandbox pulls: {experian_sandbox.pulls('123550101')}, "
        f"profile error: {profile.last_error_code!r} {profile.last_error_message!r}"
    )
    assert report.trigger == CreditReport.Trigger.CONSENT
    assert experian_sandbox.pulls("123550101") == 1
    assert "Score history" in client.get("/app/credit/").content.decode()
