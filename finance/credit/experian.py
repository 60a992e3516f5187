"""Experian Consumer Credit Profile over httpx: real Experian with credentials, else the local sandbox.

- Auth: OAuth2 password grant at `/oauth2/v1/token` (username and password in the JSON body, client id and
  secret in Experian's `Client_id` / `Client_secret` headers). The bearer token is cached in the Django
  cache (Redis), shared by every worker, until shortly before it expires.
- Report: `POST /consumerservices/credit-profile/v2/credit-report`. A 401 in the middle (the token expired
  or was revoked early) drops the cached token, gets a new one and retries once.
- Transient failures (5xx, 429, timeouts, connection errors) are retried here (stamina), up to
  MAX_ATTEMPTS tries with jittered exponential backoff; what is still failing after that raises
  `ExperianError` with `transient=True`, for the caller (a Celery task) to retry later. A retried
  report call can reach Experian twice if the first answer was lost on the way back; that is a second
  identical consumer-initiated pull, harmless to the consumer's score.
- Everything else raises at once: `InquiryNotAllowed` (code 76: the subscriber may not pull this file),
  `ExperianValidationError` (400: a field Experian refuses, one message per field), `ExperianError`.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import stamina
from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

TOKEN_PATH = "/oauth2/v1/token"  # noqa: S105 - a URL path, not a secret
REPORT_PATH = "/consumerservices/credit-profile/v2/credit-report"
INQUIRY_NOT_ALLOWED = "76"
MAX_ATTEMPTS = 3  # per call: the first try and two retries
BACKOFF_SECONDS = 0.5  # before the first retry; doubled on each retry, plus up to half of it as jitter
TOKEN_EXPIRY_MARGIN_SECONDS = 120  # stop using a token this long before Experian says it expires
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class ExperianError(Exception):
    """Experian refused or failed a call. `status` 0 means no HTTP answer (timeout, network)."""

    status: int
    code: str
    message: str
    messages: list[str] = field(default_factory=list)  # every entry Experian listed

    @property
    def transient(self) -> bool:
        """Worth retrying later: Experian's own failures, rate limits, timeouts."""
        return self.status == 0 or self.status in TRANSIENT_STATUSES

    def __str__(self) -> str:
        return f"Experian {self.status} {self.code}: {self.message}"


class InquiryNotAllowed(ExperianError):
    """Code 76: this subscriber may not pull this consumer's file (not provisioned, blocked, frozen)."""


class ExperianValidationError(ExperianError):
    """A 400 listing the request fields Experian refuses (names, SSN, date of birth, address…)."""


@dataclass(frozen=True)
class Applicant:
    """Who the report is about: what Experian needs to find the file, nothing more."""

    first_name: str
    last_name: str
    date_of_birth: date
    ssn: str  # nine digits
    line1: str
    city: str
    state: str  # two-letter code
    zip_code: str  # five digits
    line2: str = ""


def uses_sandbox() -> bool:
    return not (settings.EXPERIAN_BASE_URL and settings.EXPERIAN_USERNAME and settings.EXPERIAN_PASSWORD)


def _base_url() -> str:
    return str(settings.SANDBOX_URL if uses_sandbox() else settings.EXPERIAN_BASE_URL).rstrip("/")


def _credentials() -> dict[str, str]:
    if uses_sandbox():  # the sandbox accepts any non-empty values unless told otherwise
        return {
            "username": "creditapp",
            "password": "sandbox",
            "client_id": "sandbox",
            "client_secret": "sandbox",
        }
    return {
        "username": settings.EXPERIAN_USERNAME,
        "password": settings.EXPERIAN_PASSWORD,
        "client_id": settings.EXPERIAN_CLIENT_ID,
        "client_secret": settings.EXPERIAN_CLIENT_SECRET,
    }


def _token_cache_key() -> str:
    """One cached token per Experian endpoint and account, so switching either never reuses a token."""
    who = f"{_base_url()}|{_credentials()['username']}|{_credentials()['client_id']}"
    return "experian-token:" + hashlib.sha256(who.encode()).hexdigest()[:32]


# --- HTTP with retries ---------------------------------------------------------------------------------
def _error_from(response: httpx.Response) -> ExperianError:
    try:
        entries = response.json().get("errors") or []
    except (ValueError, AttributeError):
        entries = []
    entries = [entry for entry in entries if isinstance(entry, dict)]
    messages = [str(entry.get("message") or "") for entry in entries]
    code = str(entries[0].get("errorCode") or "") if entries else ""
    message = messages[0] if messages else (response.text[:200] or response.reason_phrase)
    if code == INQUIRY_NOT_ALLOWED:
        return InquiryNotAllowed(response.status_code, code, message, messages)
    if (
        response.status_code == 400
        and entries
        and all(str(entry.get("errorType", "")).lower().endswith("validation error") for entry in entries)
    ):
        return ExperianValidationError(response.status_code, code, message, messages)
    return ExperianError(response.status_code, code, message, messages)


def _post(path: str, **request: Any) -> httpx.Response:
    """POST with retries on transient failures; returns any non-transient response for the caller."""
    url = _base_url() + path
    for attempt in stamina.retry_context(
        on=_is_transient,
        attempts=MAX_ATTEMPTS,
        timeout=None,  # the attempts bound it, each within EXPERIAN_TIMEOUT_SECONDS
        wait_initial=BACKOFF_SECONDS,
        wait_jitter=BACKOFF_SECONDS / 2,
    ):
        with attempt:
            try:
                return _post_once(url, request)
            except ExperianError as failure:
                log.warning(
                    "Experian %s attempt %s of %s failed (%s)", path, attempt.num, MAX_ATTEMPTS, failure
                )
                raise
    raise AssertionError("unreachable: the last failed attempt raises")


def _post_once(url: str, request: dict[str, Any]) -> httpx.Response:
    """One POST: a transient failure raises ExperianError, any other answer is returned."""
    timeout = settings.EXPERIAN_TIMEOUT_SECONDS
    try:
        response = httpx.post(url, timeout=timeout, **request)
    except httpx.TimeoutException as exc:
        raise ExperianError(0, "TIMEOUT", f"no answer within {timeout}s: {exc}") from exc
    except httpx.TransportError as exc:
        raise ExperianError(0, "NETWORK", str(exc) or exc.__class__.__name__) from exc
    if response.status_code in TRANSIENT_STATUSES:
        raise _error_from(response)
    return response


def _is_transient(error: Exception) -> bool:
    return isinstance(error, ExperianError) and error.transient


# --- the token -------------------------------------------------------------------------------------------
def access_token() -> str:
    """A bearer token, from the cache while it is good, else a new one from the password grant."""
    key = _token_cache_key()
    cached = cache.get(key)
    if cached:
        return str(cached)
    credentials = _credentials()
    response = _post(
        TOKEN_PATH,
        json={"username": credentials["username"], "password": credentials["password"]},
        headers={
            "Client_id": credentials["client_id"],
            "Client_secret": credentials["client_secret"],
            "Grant_type": "password",
        },
    )
    if response.status_code != 200:
        raise _error_from(response)
    body = response.json()
    token = str(body["access_token"])
    lifetime = int(body.get("expires_in") or 0) - TOKEN_EXPIRY_MARGIN_SECONDS
    if lifetime > 0:
        cache.set(key, token, timeout=lifetime)
    return token


def forget_token() -> None:
    cache.delete(_token_cache_key())


# --- the report ------------------------------------------------------------------------------------------
def report_request(applicant: Applicant) -> dict[str, Any]:
    """The Credit Profile request body for a consumer-initiated pull with a score and the summaries."""
    address = {
        "line1": applicant.line1,
        "city": applicant.city,
        "state": applicant.state,
        "zipCode": applicant.zip_code,
    }
    if applicant.line2:
        address["line2"] = applicant.line2
    return {
        "consumerPii": {
            "primaryApplicant": {
                "name": {"firstName": applicant.first_name, "lastName": applicant.last_name},
                "dob": {"dob": applicant.date_of_birth.strftime("%m%d%Y")},
                "ssn": {"ssn": applicant.ssn},
                "currentAddress": address,
            }
        },
        "requestor": {"subscriberCode": settings.EXPERIAN_SUBSCRIBER_CODE},
        "permissiblePurpose": {"type": settings.EXPERIAN_PERMISSIBLE_PURPOSE},
        "addOns": {
            "riskModels": {"modelIndicator": [settings.EXPERIAN_RISK_MODEL]},
            "summaries": {"summaryType": ["Profile Summary"]},
        },
    }


def credit_report(applicant: Applicant, *, reference: str = "") -> dict[str, Any]:
    """Pull the applicant's Credit Profile report (raw JSON). `reference` is echoed back by Experian
    (our own id for the pull, never personal data)."""
    body = report_request(applicant)
    for fresh_token in (False, True):
        headers = {"Authorization": f"Bearer {access_token()}", "Accept": "application/json"}
        if reference:
            headers["clientReferenceId"] = reference
        response = _post(REPORT_PATH, json=body, headers=headers)
        if response.status_code == 401 and not fresh_token:
            log.info("Experian refused the cached token (%s); getting a new one", _error_from(response))
            forget_token()
            continue
        if response.status_code != 200:
            raise _error_from(response)
        payload = response.json()
        if not isinstance(payload, dict):
            raise ExperianError(response.status_code, "FORMAT", "the report is not a JSON object")
        return payload
    raise AssertionError("unreachable")
