"""Helpers for credit and alert tests: the Experian sandbox's controls, consent and report histories."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from django.db.models import F

from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.credit import experian
from finance.credit.experian import Applicant
from finance.credit.services import CONSENT_VERSION, PullResult, credit_profile_save, credit_report_pull
from finance.models import (
    CreditReport,
    CreditScore,
)
from notifications.models import Alert

CONTROL = "/_sandbox/experian"
_ssns = itertools.count(101)


def applicant(**changes: Any) -> Applicant:
    """A distinct sandbox identity per call (its own SSN, so its own credit file)."""
    fields: dict[str, Any] = {
        "first_name": "Laurie",
        "last_name": "Anderson",
        "date_of_birth": date(1980, 3, 12),
        "ssn": f"123{next(_ssns):06d}",
        "line1": "450 E Olive Ave",
        "line2": "Apt 339",
        "city": "Burbank",
        "state": "CA",
        "zip_code": "91501",
    }
    return Applicant(**(fields | changes))


def consent(user_id: int, **changes: Any) -> Applicant:
    """Record consent and identity as the consent page does; returns the identity."""
    identity = applicant(**changes)
    with tenant_context(user_id):
        credit_profile_save(
            user_id=user_id, applicant=identity, consent_version=CONSENT_VERSION, consent_ip="203.0.113.9"
        )
    return identity


def pull_on_demand(user_id: int) -> PullResult:
    """A pull the person asked for, as the worker runs it: bound to the tenant, outside a transaction."""
    with tenant_binding(user_id):
        return credit_report_pull(user_id=user_id, trigger=CreditReport.Trigger.ON_DEMAND)


def backdate_reports(user_id: int, days: int = 30) -> None:
    """Move every stored pull `days` into the past, as if time had passed since (oldest first, so no
    two pulls ever share a day on the way)."""
    with tenant_context(user_id):
        for report in CreditReport.objects.filter(user_id=user_id).order_by("pulled_on"):
            CreditReport.objects.filter(pk=report.pk).update(
                pulled_at=F("pulled_at") - timedelta(days=days),
                pulled_on=F("pulled_on") - timedelta(days=days),
            )
            CreditScore.objects.filter(report_id=report.pk).update(date=F("date") - timedelta(days=days))


def alert_keys(user_id: int) -> list[tuple[str, str]]:
    with tenant_context(user_id):
        return sorted(Alert.objects.filter(user_id=user_id).values_list("kind", "dedupe_key"))


class ExperianSandbox:
    """The Experian emulator's control endpoints (faults, forced events, tokens, consumers)."""

    def __init__(self, url: str):
        self.http = httpx.Client(base_url=url, timeout=30)

    def reset(self) -> None:
        self.http.post(f"{CONTROL}/reset").raise_for_status()

    def configure(self, **config: Any) -> None:
        self.http.post(f"{CONTROL}/config", json=config).raise_for_status()

    def fault(self, type: str, **options: Any) -> None:
        self.http.post(f"{CONTROL}/faults", json={"type": type, **options}).raise_for_status()

    def faults(self) -> list[dict[str, Any]]:
        return list(self.http.get(f"{CONTROL}/faults").json()["faults"])

    def next_pull(
        self, ssn: str, *, new_inquiry: bool = False, new_account: bool = False, score_delta: int = 0
    ) -> None:
        """Replace the random events of this identity's next pull (score moves by exactly score_delta)."""
        body = {
            "ssn": ssn,
            "new_inquiry": new_inquiry,
            "new_account": new_account,
            "score_delta": score_delta,
        }
        self.http.post(f"{CONTROL}/next-pull", json=body).raise_for_status()

    def expire_tokens(self) -> int:
        return int(self.http.post(f"{CONTROL}/tokens/expire").json()["expired"])

    def pulls(self, ssn: str) -> int:
        """How many reports the sandbox has served for this SSN (0 when never pulled)."""
        response = self.http.get(f"{CONTROL}/consumers/{ssn}")
        if response.status_code == 404:
            return 0
        return sum(len(consumer["pulls"]) for consumer in response.json()["consumers"])


@pytest.fixture(name="experian_sandbox")
def experian_sandbox_fixture(sandbox_url: str) -> Iterator[ExperianSandbox]:
    sandbox = ExperianSandbox(sandbox_url)
    sandbox.reset()
    yield sandbox
    sandbox.reset()
    sandbox.http.close()


@pytest.fixture
def experian_responses(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every report Experian (the sandbox) sends during the test, as sent, before the app stores it."""
    responses: list[dict[str, Any]] = []
    fetch = experian.credit_report

    def recorded(*args: Any, **kwargs: Any) -> dict[str, Any]:
        responses.append(fetch(*args, **kwargs))
        return responses[-1]

    monkeypatch.setattr(experian, "credit_report", recorded)
    return responses


def sent_account_numbers(response: dict[str, Any]) -> list[str]:
    """The account numbers of a report's tradelines as Experian sent them ("284503771197XXXX")."""
    return [str(t["accountNumber"]) for t in response["creditProfile"][0]["tradeline"]]
