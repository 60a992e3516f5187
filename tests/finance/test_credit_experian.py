"""The Experian client against the local emulator over real HTTP: tokens, retries, errors."""

from __future__ import annotations

from datetime import date

import pytest
from django.conf import settings
from django.core.cache import cache

from finance.credit import experian
from finance.credit.parser import parse_report
from tests.finance.credit_helpers import ExperianSandbox, applicant

REPORT = experian.REPORT_PATH


@pytest.fixture(autouse=True)
def no_cached_token() -> None:
    experian.forget_token()


def test_report_request_and_answer(experian_sandbox: ExperianSandbox) -> None:
    person = applicant(first_name="Maria", last_name="Martinez")
    body = experian.report_request(person)
    assert body["consumerPii"]["primaryApplicant"]["dob"] == {"dob": "03121980"}
    assert body["addOns"] == {
        "riskModels": {"modelIndicator": ["V4"]},
        "summaries": {"summaryType": ["Profile Summary"]},
    }
    assert body["requestor"] == {"subscriberCode": settings.EXPERIAN_SUBSCRIBER_CODE}

    payload = experian.credit_report(person, reference="creditapp-7")
    profile = payload["creditProfile"][0]
    assert profile["consumerIdentity"]["name"][0]["surname"] == "MARTINEZ"
    assert profile["headerRecord"][0]["mKeywordText"] == "creditapp-7"
    report = parse_report(payload)
    assert report.score is not None and report.score.model == "V4" and 300 <= (report.score.value or 0) <= 850
    assert report.summary.total_tradelines == len(report.tradelines) >= 3
    assert experian_sandbox.pulls(person.ssn) == 1


def test_the_token_is_cached_and_reused(experian_sandbox: ExperianSandbox) -> None:
    experian.credit_report(applicant())
    experian.credit_report(applicant())
    assert experian_sandbox.expire_tokens() == 1  # one token was issued for both pulls
    assert cache.get(experian._token_cache_key())


def test_a_token_expiring_mid_pull_is_replaced_and_the_pull_recovers(
    experian_sandbox: ExperianSandbox,
) -> None:
    person = applicant()
    experian.credit_report(person)
    old_token = experian.access_token()
    experian_sandbox.expire_tokens()  # Experian revokes it before our cache says it expires

    payload = experian.credit_report(person)

    assert parse_report(payload).score is not None
    assert experian.access_token() != old_token
    assert experian_sandbox.pulls(person.ssn) == 2


@pytest.mark.parametrize("fault", [{"type": "server_error"}, {"type": "timeout", "seconds": 0.05}])
def test_server_errors_and_gateway_timeouts_are_retried(
    experian_sandbox: ExperianSandbox, fault: dict
) -> None:  # type: ignore[type-arg]
    person = applicant()
    experian_sandbox.fault(**fault, count=2, endpoint=REPORT)
    payload = experian.credit_report(person)
    assert parse_report(payload).score is not None
    assert experian_sandbox.faults() == []  # both faults were met: two failed tries, then the good one
    assert experian_sandbox.pulls(person.ssn) == 1  # a faulted call is not a pull


def test_a_slow_answer_times_out_and_is_retried(
    experian_sandbox: ExperianSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "EXPERIAN_TIMEOUT_SECONDS", 0.5)
    experian.access_token()  # the slow call below is the report, not the token
    experian_sandbox.fault("latency", seconds=1.5, count=1, endpoint=REPORT)
    payload = experian.credit_report(applicant())
    assert parse_report(payload).score is not None


def test_failures_that_persist_are_transient_errors_for_the_caller(experian_sandbox: ExperianSandbox) -> None:
    experian_sandbox.fault("server_error", count=None, endpoint=REPORT)
    with pytest.raises(experian.ExperianError) as failure:
        experian.credit_report(applicant())
    assert failure.value.status == 500 and failure.value.transient
    assert failure.value.code == "1001"


def test_inquiry_not_allowed_is_its_own_error_and_not_retried(experian_sandbox: ExperianSandbox) -> None:
    person = applicant()
    experian_sandbox.fault("inquiry_not_allowed", count=1, ssn=person.ssn)
    with pytest.raises(experian.InquiryNotAllowed) as failure:
        experian.credit_report(person)
    assert (failure.value.status, failure.value.code, failure.value.transient) == (400, "76", False)
    assert experian_sandbox.pulls(person.ssn) == 0


def test_validation_errors_list_every_field(experian_sandbox: ExperianSandbox) -> None:
    person = applicant(first_name="M4ria", zip_code="123", date_of_birth=date(2090, 1, 1))
    with pytest.raises(experian.ExperianValidationError) as failure:
        experian.credit_report(person)
    assert failure.value.status == 400 and not failure.value.transient
    problems = " ".join(failure.value.messages)
    assert "firstName is invalid" in problems and "zipCode" in problems and "dob" in problems


def test_bad_credentials_are_an_error_not_a_retry(experian_sandbox: ExperianSandbox) -> None:
    experian_sandbox.configure(credentials={"username": "someone-else"})
    with pytest.raises(experian.ExperianError) as failure:
        experian.credit_report(applicant())
    assert (failure.value.status, failure.value.code, failure.value.transient) == (401, "1003", False)
