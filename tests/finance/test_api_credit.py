"""The credit resources of the REST API against the stored pulls: score history, the list of pulls, one
pull in full (factors, accounts with the last four digits of their number only, inquiries, what changed),
the newest pull, and nobody else's."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.api_keys import api_key_create
from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.credit.services import credit_report_pull
from finance.models import CreditReport, CreditScore, Inquiry, ScoreFactor, Tradeline
from tests.api.client import pro_user
from tests.finance.credit_helpers import (
    ExperianSandbox,
    backdate_reports,
    consent,
    pull_on_demand,
    sent_account_numbers,
)

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


def get(user: Any, url: str, **params: Any) -> Any:
    token = api_key_create(owner_id=user.pk, name="script").token
    return Client().get(url, params, HTTP_AUTHORIZATION=f"Bearer {token}")


def with_two_pulls(user: Any, sandbox: ExperianSandbox) -> CreditReport:
    """A pull a month ago, then today's, which shows a new hard inquiry and a score 25 points lower."""
    identity = consent(user.pk)
    sandbox.next_pull(identity.ssn)
    pull_on_demand(user.pk)
    backdate_reports(user.pk)
    sandbox.next_pull(identity.ssn, new_inquiry=True, score_delta=-25)
    with tenant_binding(user.pk):
        latest = credit_report_pull(user_id=user.pk, trigger=CreditReport.Trigger.ON_DEMAND).report
    assert latest is not None
    return latest


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def test_score_history_and_the_pulls_newest_first(experian_sandbox: ExperianSandbox) -> None:
    user = pro_user()
    latest = with_two_pulls(user, experian_sandbox)
    with tenant_context(user.pk):
        stored = list(CreditScore.objects.order_by("-date", "-id").values_list("id", "value", "report_id"))
        reports = list(CreditReport.objects.order_by("-pulled_at").values_list("id", flat=True))
    (_, newest_value, _), (_, older_value, _) = stored
    assert newest_value is not None and older_value == newest_value + 25

    page = get(user, "/api/v1/credit/scores/").json()
    assert (page["next"], page["previous"]) == (None, None)
    assert [(s["id"], s["score"], s["report_id"]) for s in page["results"]] == stored
    newest = page["results"][0]
    assert newest["model_name"] == "VantageScore 4.0" and newest["band"] and newest["date"]

    first = get(user, "/api/v1/credit/scores/", page_size=1).json()
    assert [s["id"] for s in first["results"]] == [stored[0][0]] and first["next"]
    too_large = get(user, "/api/v1/credit/scores/", page_size=501)
    assert too_large.status_code == 400 and "page_size" in too_large.json()["error"]["details"]["fields"]

    pulls = get(user, "/api/v1/credit/reports/").json()
    assert (pulls["next"], pulls["previous"]) == (None, None)
    assert [r["id"] for r in pulls["results"]] == reports and reports[0] == latest.pk
    assert pulls["results"][0]["score"]["score"] == stored[0][1]
    assert "tradelines" not in pulls["results"][0]  # the list is light; the detail has everything
    assert get(user, "/api/v1/credit/reports/", page_size=501).status_code == 400


def test_the_latest_report_in_full(experian_sandbox: ExperianSandbox) -> None:
    user = pro_user()
    latest = with_two_pulls(user, experian_sandbox)
    response = get(user, "/api/v1/credit/reports/latest/")
    assert response.status_code == 200
    body = response.json()
    assert body == get(user, f"/api/v1/credit/reports/{latest.pk}/").json()
    with tenant_context(user.pk):
        score = latest.scores.get()
        factors = list(ScoreFactor.objects.filter(report=latest).order_by("rank").values_list("rank", "text"))
        tradelines = {t.pk: t for t in Tradeline.objects.filter(report=latest)}
        inquiries = {i.pk: i for i in Inquiry.objects.filter(report=latest)}
        previous = CreditReport.objects.exclude(pk=latest.pk).get()

    assert body["id"] == latest.pk and body["status"] == "complete"
    assert body["score"]["score"] == score.value and body["score"]["band"] == score.band
    assert [(f["rank"], f["text"]) for f in body["factors"]] == factors and factors
    assert {t["id"] for t in body["tradelines"]} == set(tradelines)
    for shown in body["tradelines"]:
        stored = tradelines[shown["id"]]
        assert (shown["creditor"], shown["account_last4"], shown["balance_minor"], shown["limit_minor"]) == (
            stored.creditor,
            stored.account_last4,
            stored.balance_minor,
            stored.limit_minor,
        )
        assert shown["status_label"] == stored.status_label and shown["currency"] == "USD"
    assert {i["id"] for i in body["inquiries"]} == set(inquiries)
    assert all(i["kind"] == "hard" and i["subscriber_name"] for i in body["inquiries"])
    changes = body["changes"]
    assert changes["previous_report_id"] == previous.pk and changes["score_delta"] == -25
    assert len(changes["new_inquiry_ids"]) == 1 and set(changes["new_inquiry_ids"]) <= set(inquiries)
    assert body["summary"]["currency"] == "USD"

    # The first pull has nothing to compare with.
    first = get(user, f"/api/v1/credit/reports/{previous.pk}/").json()
    assert first["changes"]["previous_report_id"] is None and first["changes"]["new_inquiry_ids"] == []


def test_accounts_carry_only_the_last_four_digits_of_their_number(
    experian_sandbox: ExperianSandbox, experian_responses: list[dict[str, Any]]
) -> None:
    user = pro_user()
    consent(user.pk)
    report = pull_on_demand(user.pk).report
    assert report is not None
    (sent,) = experian_responses
    numbers = sent_account_numbers(sent)
    assert numbers

    for url in ("/api/v1/credit/reports/latest/", f"/api/v1/credit/reports/{report.pk}/"):
        body = get(user, url).content.decode()
        shown = [t["account_last4"] for t in get(user, url).json()["tradelines"]]
        assert shown and all(len(last4) <= 4 for last4 in shown)
        for number in numbers:
            digits = re.sub(r"\D", "", number)
            assert digits[-4:] in shown
            assert number not in body and number[:-4] not in body
            if len(digits) > 4:
                assert digits not in body
        assert "accountNumber" not in body


def test_no_report_yet_is_a_404_saying_so() -> None:
    user = pro_user()
    response = get(user, "/api/v1/credit/reports/latest/")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "no_credit_report" and "no credit report yet" in error["message"]
    assert get(user, "/api/v1/credit/reports/").json()["results"] == []
    assert get(user, "/api/v1/credit/scores/").json()["results"] == []


def test_another_persons_reports_and_scores_are_never_shown(experian_sandbox: ExperianSandbox) -> None:
    alice, bob = pro_user(), pro_user()
    consent(alice.pk)
    report = pull_on_demand(alice.pk).report
    assert report is not None

    assert get(alice, f"/api/v1/credit/reports/{report.pk}/").status_code == 200
    assert_not_found(get(bob, f"/api/v1/credit/reports/{report.pk}/"))
    assert_not_found(get(bob, f"/api/v1/credit/reports/{report.pk + 10_000}/"))  # the same as no such id
    assert get(bob, "/api/v1/credit/reports/latest/").json()["error"]["code"] == "no_credit_report"
    assert get(bob, "/api/v1/credit/reports/").json()["results"] == []
    assert get(bob, "/api/v1/credit/scores/").json()["results"] == []
    assert len(get(alice, "/api/v1/credit/scores/").json()["results"]) == 1
