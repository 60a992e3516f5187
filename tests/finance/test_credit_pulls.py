"""Consent, identity and credit pulls through the services and tasks, against the Experian sandbox."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import AuditEntry
from creditapp.core.locks import lock
from creditapp.core.retry import TransientError
from creditapp.tenancy.db import maintenance_access, tenant_binding, tenant_context
from finance.credit import experian
from finance.credit import services as credit_services
from finance.credit.services import ConsentRequired, credit_report_pull
from finance.credit.tasks import refresh_due, refresh_user
from finance.models import CreditProfile, CreditReport, CreditScore, Inquiry, ScoreFactor, Tradeline
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


def test_no_consent_means_no_pull(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory()
    with pytest.raises(ConsentRequired), tenant_binding(user.pk):
        credit_report_pull(user_id=user.pk, trigger=ON_DEMAND)
    assert refresh_user(user.pk, ON_DEMAND) is None
    with maintenance_access("test: nothing was stored"):
        assert not CreditReport.objects.filter(user_id=user.pk).exists()
    assert experian_sandbox.http.get("/_sandbox/experian/consumers").json()["consumers"] == []


def test_consent_stores_the_identity_encrypted_with_its_evidence(
    experian_sandbox: ExperianSandbox, enqueued
) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    identity = consent(user.pk)
    with tenant_context(user.pk):
        profile = CreditProfile.objects.get(user_id=user.pk)
        assert profile.ssn_last4 == identity.ssn[-4:]
        assert profile.consent_version == credit_services.CONSENT_VERSION
        assert str(profile.consent_ip) == "203.0.113.9"
        assert timezone.now() - profile.consent_given_at < timedelta(minutes=1)
        assert credit_services.applicant_of(profile) == identity
        audit = AuditEntry.objects.get(user_id=user.pk, action="credit.consent_given")
        assert audit.details["version"] == credit_services.CONSENT_VERSION
    # Nothing of the identity is readable in the database: not the SSN, not the name, not the address.
    with connection.cursor() as cursor, tenant_context(user.pk):
        cursor.execute("SELECT * FROM finance_creditprofile WHERE user_id = %s", [user.pk])
        row = " ".join(str(value) for value in cursor.fetchone())
    for secret in (identity.ssn, identity.ssn[:5], "Anderson", "Olive", "1980"):
        assert secret not in row
    assert enqueued() == ["finance.credit.refresh_user"]  # the first pull


def test_a_pull_stores_a_snapshot(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory()
    identity = consent(user.pk)
    result = pull_on_demand(user.pk)
    assert result.report is not None
    with tenant_context(user.pk):
        report = CreditReport.objects.get(user_id=user.pk)
        assert report.status == CreditReport.Status.COMPLETE and report.pulled_on == timezone.now().date()
        assert report.raw()["creditProfile"][0]["consumerIdentity"]["name"][0]["surname"] == "ANDERSON"
        assert identity.last_name.upper() not in report.raw_encrypted
        score = CreditScore.objects.get(report=report)
        assert (
            score.model == "V4"
            and score.model_name == "VantageScore 4.0"
            and 300 <= (score.value or 0) <= 850
        )
        factors = list(ScoreFactor.objects.filter(report=report))
        assert 4 <= len(factors) <= 5 and [f.rank for f in factors] == list(range(1, len(factors) + 1))
        assert all(not f.text.startswith("Score factor") for f in factors)  # every code has its reason
        tradelines = list(Tradeline.objects.filter(report=report))
        assert len(tradelines) == report.summary["total_tradelines"] >= 3
        assert any(t.revolving and t.limit_minor and t.limit_minor % 100 == 0 for t in tradelines)
        assert Inquiry.objects.filter(report=report).count() == report.summary.get("total_inquiries", 0)
        assert AuditEntry.objects.filter(user_id=user.pk, action="credit.report_pulled").count() == 1
    assert experian_sandbox.pulls(identity.ssn) == 1


def test_only_the_last_four_digits_of_account_numbers_are_stored(
    experian_sandbox: ExperianSandbox, experian_responses: list[dict[str, Any]]
) -> None:
    user = UserFactory()
    consent(user.pk)
    report = pull_on_demand(user.pk).report
    assert report is not None
    (response,) = experian_responses
    sent = sent_account_numbers(response)
    assert sent and all(len(number) >= 10 and number.endswith("XXXX") for number in sent)  # as Experian masks
    last_fours = [number[-8:-4] for number in sent]  # the last four digits shown
    with connection.cursor() as cursor, tenant_context(user.pk):
        cursor.execute("SELECT * FROM finance_tradeline WHERE user_id = %s", [user.pk])
        rows = " ".join(str(value) for row in cursor.fetchall() for value in row)
        raw = CreditReport.objects.get(pk=report.pk).raw()
    for number in sent:
        assert number[:-4] not in rows and number[:-4] not in json.dumps(raw)
    assert sent_account_numbers(raw) == last_fours
    with tenant_context(user.pk):
        stored = Tradeline.objects.filter(report=report).values_list("account_last4", flat=True)
        assert sorted(stored) == sorted(last_fours)


def test_pulls_are_idempotent_per_day_and_per_person(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory()
    identity = consent(user.pk)
    with tenant_binding(user.pk):
        assert credit_report_pull(user_id=user.pk, trigger=ON_DEMAND).report is not None
        assert credit_report_pull(user_id=user.pk, trigger=ON_DEMAND).skipped == "already_today"
    assert refresh_user(user.pk, ON_DEMAND) is None

    backdate_reports(user.pk)
    held = lock(f"credit-pull:{user.pk}", timeout=30)
    assert held.acquire(blocking=False)
    try:  # another worker is pulling for this person right now
        with tenant_binding(user.pk):
            assert credit_report_pull(user_id=user.pk, trigger=ON_DEMAND).skipped == "busy"
    finally:
        held.release()
    assert experian_sandbox.pulls(identity.ssn) == 1
    with tenant_binding(user.pk):
        assert credit_report_pull(user_id=user.pk, trigger=ON_DEMAND).report is not None
    assert experian_sandbox.pulls(identity.ssn) == 2


def test_experian_refusals_are_recorded_for_the_page(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory()
    identity = consent(user.pk)
    experian_sandbox.fault("inquiry_not_allowed", count=1, ssn=identity.ssn)
    with pytest.raises(experian.InquiryNotAllowed), tenant_binding(user.pk):
        credit_report_pull(user_id=user.pk, trigger=ON_DEMAND)
    with tenant_context(user.pk):
        profile = CreditProfile.objects.get(user_id=user.pk)
        assert profile.last_error_code == "76" and "freeze" in profile.last_error_message
    assert refresh_user(user.pk, ON_DEMAND) is not None  # the fault is spent: this one works
    with tenant_context(user.pk):
        assert CreditProfile.objects.get(user_id=user.pk).last_error_code == ""


def test_transient_failures_are_left_to_the_task_to_retry(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory()
    consent(user.pk)
    experian_sandbox.fault("server_error", count=None, endpoint=experian.REPORT_PATH)
    with pytest.raises(TransientError), tenant_binding(user.pk):
        refresh_user.run(user.pk, ON_DEMAND)  # the task body; Celery's autoretry catches this
    with tenant_context(user.pk):
        assert not CreditReport.objects.exists()
        assert CreditProfile.objects.get(user_id=user.pk).last_error_code == ""  # not the person's problem


def test_no_pull_once_consent_is_withdrawn_or_outdated(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory()
    identity = consent(user.pk)
    with tenant_context(user.pk):
        CreditProfile.objects.filter(user_id=user.pk).update(consent_version="2020-01-01")
    with pytest.raises(ConsentRequired), tenant_binding(user.pk):
        credit_report_pull(user_id=user.pk, trigger=ON_DEMAND)
    consent(user.pk, ssn=identity.ssn)
    with tenant_context(user.pk):
        credit_services.credit_profile_withdraw(user_id=user.pk)
    with pytest.raises(ConsentRequired), tenant_binding(user.pk):
        credit_report_pull(user_id=user.pk, trigger=ON_DEMAND)
    assert experian_sandbox.pulls(identity.ssn) == 0


def test_no_pull_without_a_plan(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory(date_joined=timezone.now() - timedelta(days=90))  # trial over, never subscribed
    identity = consent(user.pk)
    with tenant_binding(user.pk):
        assert credit_report_pull(user_id=user.pk, trigger=ON_DEMAND).skipped == "not_entitled"
        assert not credit_services.credit_refresh_availability(user_id=user.pk).allowed
    assert experian_sandbox.pulls(identity.ssn) == 0


def test_on_demand_refresh_has_a_cooldown(experian_sandbox: ExperianSandbox, enqueued) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    consent(user.pk)
    assert enqueued() == ["finance.credit.refresh_user"]  # the first pull
    with tenant_binding(user.pk):
        waiting = credit_services.credit_refresh_request(user_id=user.pk)
    assert not waiting.allowed and waiting.reason == "A refresh is already in progress."
    refresh_user(user.pk, CreditReport.Trigger.CONSENT)

    with tenant_binding(user.pk):
        later = credit_services.credit_refresh_request(user_id=user.pk)
    assert not later.allowed and later.next_at is not None
    assert timedelta(hours=23) < later.next_at - timezone.now() <= timedelta(hours=24)
    assert enqueued() == ["finance.credit.refresh_user"]  # nothing more queued

    backdate_reports(user.pk, days=1)
    with tenant_binding(user.pk):
        assert credit_services.credit_refresh_request(user_id=user.pk).allowed
    assert enqueued() == ["finance.credit.refresh_user"] * 2
    assert credit_services.credit_refresh_pending(user_id=user.pk)


def test_the_schedule_refreshes_people_whose_plan_interval_has_passed(
    experian_sandbox: ExperianSandbox, enqueued
) -> None:  # type: ignore[no-untyped-def]
    due, recent, never = UserFactory(), UserFactory(), UserFactory()
    for user in (due, recent, never):
        consent(user.pk)
    for user in (due, recent):
        pull_on_demand(user.pk)
    backdate_reports(due.pk, days=31)  # trial plan: monthly
    backdate_reports(recent.pk, days=10)
    queued_by_consent = enqueued()

    assert refresh_due() == 3  # shortest plan interval is a week: the task checks each person's own plan
    assert enqueued() == queued_by_consent + ["finance.credit.refresh_user"] * 3
    scheduled = CreditReport.Trigger.SCHEDULED
    assert refresh_user(recent.pk, scheduled) is None  # 10 days < 30
    assert refresh_user(due.pk, scheduled) is not None
    assert refresh_user(never.pk, scheduled) is not None
    with tenant_context(due.pk):
        assert CreditReport.objects.filter(user_id=due.pk, trigger=scheduled).count() == 1


def test_another_tenant_sees_none_of_it(experian_sandbox: ExperianSandbox) -> None:
    alice, bob = UserFactory(), UserFactory()
    consent(alice.pk)
    with tenant_binding(alice.pk):
        credit_report_pull(user_id=alice.pk, trigger=ON_DEMAND)
    with tenant_context(bob.pk):
        for model in (CreditProfile, CreditReport, CreditScore, ScoreFactor, Tradeline, Inquiry):
            assert not model.objects.exists(), model.__name__
            assert not model.objects.filter(user_id=alice.pk).exists(), model.__name__
    # Bob cannot attach rows to Alice's report either (the composite same-tenant foreign key).
    with maintenance_access("test: find alice's report"):
        report_id = CreditReport.objects.get(user_id=alice.pk).pk
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), tenant_context(bob.pk), transaction.atomic():
        CreditScore.objects.create(
            user_id=bob.pk,
            report_id=report_id,
            model="V4",
            model_name="x",
            value=800,
            date=timezone.now().date(),
        )
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_identity_form_rules() -> None:
    from datetime import date

    from finance.credit.forms import CreditIdentityForm, validate_ssn

    today = date(2025, 6, 15)
    good = {
        "first_name": "Laurie", "last_name": "O'Neil-Anderson", "date_of_birth": "1980-03-12",
        "ssn": "123-45-6789", "line1": "450 E Olive Ave", "line2": "", "city": "Burbank", "state": "CA",
        "zip_code": "91501", "consent": "on", "consent_version": credit_services.CONSENT_VERSION,
    }  # fmt: skip
    form = CreditIdentityForm(good, today=today)
    assert form.is_valid(), form.errors
    assert form.applicant().ssn == "123456789"

    def errors(**changes: str) -> set[str]:
        form = CreditIdentityForm(good | changes, today=today)
        assert not form.is_valid()
        return set(form.errors)

    for ssn in ("000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "12345678", "abc"):
        assert errors(ssn=ssn) == {"ssn"}, ssn
    assert errors(date_of_birth="2007-06-16") == {"date_of_birth"}  # 17 the day before their birthday
    assert CreditIdentityForm(good | {"date_of_birth": "2007-06-15"}, today=today).is_valid()
    assert errors(zip_code="9150") == {"zip_code"} and errors(zip_code="9150A") == {"zip_code"}
    assert errors(state="XX") == {"state"}
    assert errors(first_name="L4urie") == {"first_name"}
    assert errors(consent="") == {"consent"}
    assert errors(consent_version="1999-01-01") == {"consent_version"}
    assert validate_ssn("078 05 1120") == "078051120"
    # With an SSN on file, leaving the field empty keeps it.
    kept = CreditIdentityForm(good | {"ssn": ""}, today=today, ssn_on_file="123456789")
    assert kept.is_valid() and kept.applicant().ssn == "123456789"
