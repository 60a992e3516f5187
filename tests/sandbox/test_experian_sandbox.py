"""The Experian emulator over real HTTP: tokens, reports, evolution between pulls, controls and faults."""

from __future__ import annotations

import copy
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import start_sandbox

TOKEN = "/oauth2/v1/token"
REPORT = "/consumerservices/credit-profile/v2/credit-report"
CONTROL = "/_sandbox/experian"
PINNED = "2025-06-15T14:39:11"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "experian"
CREDENTIALS = {"username": "creditapp", "password": "s3cret", "client_id": "cid", "client_secret": "csecret"}


@pytest.fixture
def client(sandbox_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        assert http.post(f"{CONTROL}/reset").status_code == 200
        yield http


def access_token(client: httpx.Client) -> str:
    response = client.post(TOKEN, json=CREDENTIALS | {"grant_type": "password"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def request_body(ssn: str = "123456789", surname: str = "Anderson", **applicant: Any) -> dict[str, Any]:
    primary = {
        "name": {"firstName": "Laurie", "middleName": "Anne", "lastName": surname},
        "dob": {"dob": "03121980"},
        "ssn": {"ssn": ssn},
        "currentAddress": {
            "line1": "450 E Olive Ave",
            "line2": "Apt 339",
            "city": "Burbank",
            "state": "CA",
            "zipCode": "91501",
        },
    } | applicant
    return {
        "consumerPii": {"primaryApplicant": primary},
        "requestor": {"subscriberCode": "2222222"},
        "permissiblePurpose": {"type": "3F"},
        "addOns": {"riskModels": {"modelIndicator": ["V4"]}},
    }


def pull(client: httpx.Client, token: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return client.post(REPORT, json=body or request_body(), headers={"Authorization": f"Bearer {token}"})


def profile(client: httpx.Client, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = pull(client, token, body)
    assert response.status_code == 200, response.text
    return response.json()["creditProfile"][0]


def score(credit_profile: dict[str, Any]) -> int:
    return int(credit_profile["riskModel"][0]["score"])


def summary(credit_profile: dict[str, Any]) -> dict[str, str]:
    return {a["id"]: a["value"] for a in credit_profile["summaries"][0]["attributes"]}


def error_codes(response: httpx.Response) -> list[str]:
    return [error["errorCode"] for error in response.json()["errors"]]


def test_token_then_report(client: httpx.Client) -> None:
    token_response = client.post(
        TOKEN,
        json={"username": "u", "password": "p"},
        headers={"Client_id": "cid", "Client_secret": "secret", "Grant_type": "password"},
    )
    assert token_response.status_code == 200
    issued = token_response.json()
    assert set(issued) == {"issued_at", "expires_in", "token_type", "access_token", "refresh_token"}
    assert all(isinstance(value, str) for value in issued.values())
    assert issued["expires_in"] == "1800" and issued["token_type"] == "Bearer"
    assert abs(int(issued["issued_at"]) / 1000 - time.time()) < 60

    credit_profile = profile(client, issued["access_token"])

    for segment in (
        "headerRecord",
        "addressInformation",
        "consumerIdentity",
        "riskModel",
        "tradeline",
        "summaries",
        "informationalMessage",
    ):
        assert credit_profile[segment], segment
    model = credit_profile["riskModel"][0]
    assert model["modelIndicator"] == "V4"
    assert 550 <= score(credit_profile) <= 820
    factors = model["scoreFactors"]
    assert len(factors) in (4, 5)
    assert [f["importance"] for f in factors] == [str(rank) for rank in range(1, len(factors) + 1)]
    assert all(re.fullmatch(r"\d{2}", f["code"]) for f in factors)
    assert 3 <= len(credit_profile["tradeline"]) <= 12
    assert len(credit_profile.get("inquiry", [])) <= 4
    assert credit_profile["consumerIdentity"]["name"][0] == {
        "firstName": "LAURIE",
        "middleName": "ANNE",
        "surname": "ANDERSON",
        "type": "N",
    }
    address = credit_profile["addressInformation"][0]
    street = [address[key] for key in ("streetPrefix", "streetName", "streetSuffix", "unitType", "unitId")]
    assert street == ["450 E", "OLIVE", "AVE", "APT", "339"]
    assert address["zipCode"].startswith("91501") and len(address["zipCode"]) == 9


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaves(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaves(child, f"{path}[{index}]")
    else:
        yield path, value


def _is_mmddyyyy(text: str) -> bool:
    try:
        return datetime.strptime(text, "%m%d%Y").strftime("%m%d%Y") == text
    except ValueError:
        return False


def test_every_value_is_a_zero_padded_string(client: httpx.Client) -> None:
    credit_profile = profile(client, access_token(client))

    assert all(isinstance(value, str) for _, value in _leaves(credit_profile))
    assert re.fullmatch(r"0\d{3}", credit_profile["riskModel"][0]["score"])
    for line in credit_profile["tradeline"]:
        for key in ("amount1", "balanceAmount", "monthlyPaymentAmount", "amount2"):
            if key in line:
                assert re.fullmatch(r"\d{8}", line[key]), (key, line[key])
        for key in ("openDate", "balanceDate", "statusDate", "lastPaymentDate"):
            if key in line:
                assert _is_mmddyyyy(line[key]), (key, line[key])
        assert re.fullmatch(r"\d{2}", line["delinquencies30Days"])
        assert line["openOrClosed"] in ("O", "C") and line["revolvingOrInstallment"] in ("R", "I")
        assert line["accountType"] in ("18", "07", "00", "12", "26", "01")
        assert line["status"] in ("11", "12", "13", "71")
        assert re.fullmatch(r"[C0-2]+", line["paymentHistory"])
        enhanced = line["enhancedPaymentData"]
        if line["revolvingOrInstallment"] == "R":
            assert line["amount1Qualifier"] == "L" and line["amount2Qualifier"] == "H"
            assert re.fullmatch(r"\d{10}", enhanced["creditLimitAmount"])
            assert int(enhanced["creditLimitAmount"]) == int(line["amount1"])
        else:
            assert line["amount1Qualifier"] == "O"
            assert int(enhanced["originalLoanAmount"]) == int(line["amount1"])
    for inquiry in credit_profile.get("inquiry", []):
        assert _is_mmddyyyy(inquiry["date"])
        assert inquiry["amount"] == "UNKNOWN" or re.fullmatch(r"\d{8}", inquiry["amount"])
    attributes = summary(credit_profile)
    assert re.fullmatch(r"\d{9}", attributes["revolvingBalance"])
    assert _is_mmddyyyy(attributes["oldestTradeDate"])


def test_summary_matches_tradelines_and_factors_match_utilisation(client: httpx.Client) -> None:
    token = access_token(client)
    seen_high = seen_low = 0
    for index in range(40):
        credit_profile = profile(client, token, request_body(ssn=f"{200000000 + index * 7919:09d}"))
        lines = credit_profile["tradeline"]
        revolving = [t for t in lines if t["openOrClosed"] == "O" and t["revolvingOrInstallment"] == "R"]
        balance = sum(int(t["balanceAmount"]) for t in revolving)
        limit = sum(int(t["amount1"]) for t in revolving)
        attributes = summary(credit_profile)
        assert int(attributes["revolvingBalance"]) == balance
        assert int(attributes["totalTradeItems"]) == len(lines)
        assert int(attributes["totalInquiries"]) == len(credit_profile.get("inquiry", []))
        assert int(attributes["publicRecordsCount"]) == len(credit_profile.get("publicRecord", []))
        assert min(t["openDate"][4:] + t["openDate"][:4] for t in lines) == (
            attributes["oldestTradeDate"][4:] + attributes["oldestTradeDate"][:4]
        )
        utilisation = balance / limit
        assert abs(int(attributes["revolvingAvailablePercent"]) - round(100 * (1 - utilisation))) <= 1
        codes = [f["code"] for f in credit_profile["riskModel"][0]["scoreFactors"]]
        if utilisation >= 0.5:
            seen_high += 1
            assert "32" in codes, (utilisation, codes)
        if utilisation < 0.1:
            seen_low += 1
            assert "32" not in codes, (utilisation, codes)
    assert seen_high and seen_low


def test_first_pull_is_deterministic_per_identity(client: httpx.Client) -> None:
    client.post(f"{CONTROL}/config", json={"report_now": PINNED})
    first = profile(client, access_token(client))
    other = profile(client, access_token(client), request_body(ssn="987654321"))

    client.post(f"{CONTROL}/reset")
    client.post(f"{CONTROL}/config", json={"report_now": PINNED})
    again = profile(client, access_token(client))

    assert again == first
    assert other["tradeline"] != first["tradeline"]
    assert first["headerRecord"][0]["y2kReportedDate"] == "06152025"
    assert first["headerRecord"][0]["reportTime"] == "143911"


def test_each_pull_is_the_next_month(client: httpx.Client) -> None:
    token = access_token(client)
    pulls = [profile(client, token) for _ in range(4)]

    first, second = pulls[0], pulls[1]
    assert second != first
    before = {t["accountNumber"]: t for t in first["tradeline"] if t["openOrClosed"] == "O"}
    after = {t["accountNumber"]: t for t in second["tradeline"]}
    for number, line in before.items():
        history_before = line["enhancedPaymentData"]["enhancedPaymentHistory84"]
        history_after = after[number]["enhancedPaymentData"]["enhancedPaymentHistory84"]
        assert len(history_after) == min(84, len(history_before) + 1)
        assert history_after[1:] == history_before[: len(history_after) - 1]
    balances = [tuple(t["balanceAmount"] for t in p["tradeline"]) for p in pulls]
    assert len(set(balances)) > 1
    consumer = client.get(f"{CONTROL}/consumers/123-45-6789").json()["consumers"][0]
    assert len(consumer["pulls"]) == 4 and consumer["score"] == score(pulls[-1])


def test_history_replays_the_same_after_reset(client: httpx.Client) -> None:
    client.post(f"{CONTROL}/config", json={"report_now": PINNED})
    token = access_token(client)
    run = [profile(client, token) for _ in range(3)]
    client.post(f"{CONTROL}/reset")
    client.post(f"{CONTROL}/config", json={"report_now": PINNED})
    token = access_token(client)
    assert [profile(client, token) for _ in range(3)] == run


def test_forced_events_appear_on_the_next_pull(client: httpx.Client) -> None:
    client.post(f"{CONTROL}/config", json={"report_now": PINNED})
    token = access_token(client)
    before = profile(client, token)
    events = {"new_inquiry": True, "new_account": True, "score_delta": -35}
    forced = client.post(f"{CONTROL}/next-pull", json={"ssn": "123-45-6789", **events})
    assert forced.json() == {"ssn": "123456789", "next_pull": events}
    other = profile(client, token, request_body(ssn="555443333"))  # another identity is not affected

    after = profile(client, token)

    assert score(after) == score(before) - 35
    assert len(after["tradeline"]) == len(before["tradeline"]) + 1
    known = {t["accountNumber"] for t in before["tradeline"]}
    (opened,) = [t for t in after["tradeline"] if t["accountNumber"] not in known]
    assert opened["openDate"] == "06152025" and opened["openOrClosed"] == "O"
    newest_inquiry = after["inquiry"][0]
    assert newest_inquiry["date"] == "06152025"
    assert newest_inquiry["subscriberName"] == opened["subscriberName"]
    assert newest_inquiry["type"] == opened["accountType"]
    assert len(after["inquiry"]) == len(before.get("inquiry", [])) + 1
    assert int(summary(after)["totalTradeItems"]) == len(after["tradeline"])
    assert client.get(f"{CONTROL}/next-pull").json() == {"next_pull": {}}
    assert other["tradeline"]


def test_forced_quiet_pull_and_unscoped_force(client: httpx.Client) -> None:
    token = access_token(client)
    before = profile(client, token)
    client.post(f"{CONTROL}/next-pull", json={"score_delta": 0})

    after = profile(client, token)

    assert score(after) == score(before)
    assert len(after["tradeline"]) == len(before["tradeline"])
    assert after.get("inquiry", []) == before.get("inquiry", [])
    client.post(f"{CONTROL}/next-pull", json={"new_inquiry": True, "score_delta": 12})
    later = profile(client, token)
    assert score(later) == score(after) + 12
    assert len(later["inquiry"]) == len(after.get("inquiry", [])) + 1
    assert len(later["tradeline"]) == len(after["tradeline"])


def test_bad_credentials_and_form_encoded_token(client: httpx.Client) -> None:
    client.post(f"{CONTROL}/config", json={"credentials": CREDENTIALS})

    wrong = client.post(TOKEN, json=CREDENTIALS | {"password": "nope", "grant_type": "password"})
    missing = client.post(TOKEN, json={"username": "creditapp", "grant_type": "password"})
    form = client.post(TOKEN, data=CREDENTIALS | {"grant_type": "password"})

    assert wrong.status_code == 401 and error_codes(wrong) == ["1003"]
    assert missing.status_code == 401
    assert form.status_code == 200 and form.json()["access_token"]


def test_expired_and_unknown_tokens_are_refused(client: httpx.Client) -> None:
    client.post(f"{CONTROL}/config", json={"token_ttl_seconds": 1})
    issued = client.post(TOKEN, json=CREDENTIALS).json()
    assert issued["expires_in"] == "1"
    assert pull(client, issued["access_token"]).status_code == 200
    time.sleep(1.2)

    expired = pull(client, issued["access_token"])
    unknown = pull(client, "not-a-token")
    missing = client.post(REPORT, json=request_body())

    for response in (expired, unknown, missing):
        assert response.status_code == 401 and error_codes(response) == ["1002"]
        assert response.json()["errors"][0]["errorType"] == "Unauthorized"
    assert expired.json()["errors"][0]["message"] == "Access token expired"
    assert unknown.json()["errors"][0]["message"] == "Invalid access token"
    assert expired.headers["www-authenticate"].startswith("Bearer")


def test_expire_all_tokens_and_refresh(client: httpx.Client) -> None:
    issued = client.post(TOKEN, json=CREDENTIALS).json()
    refresh_grant = {"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]}
    refreshed = client.post(TOKEN, json=refresh_grant)
    assert refreshed.status_code == 200
    assert pull(client, refreshed.json()["access_token"]).status_code == 200
    assert client.post(TOKEN, json=refresh_grant).status_code == 401  # refresh tokens are single use

    assert client.post(f"{CONTROL}/tokens/expire").json() == {"expired": 2}

    assert pull(client, refreshed.json()["access_token"]).status_code == 401
    assert pull(client, access_token(client)).status_code == 200


def test_server_errors_for_the_next_n_calls_of_one_path(client: httpx.Client) -> None:
    token = access_token(client)
    client.post(f"{CONTROL}/faults", json={"type": "server_error", "count": 2, "endpoint": REPORT})

    assert access_token(client)  # the token endpoint is not affected
    first, second, third = (pull(client, token) for _ in range(3))

    assert (first.status_code, second.status_code, third.status_code) == (500, 500, 200)
    assert error_codes(first) == ["1001"]
    assert client.get(f"{CONTROL}/faults").json() == {"faults": []}
    consumer = client.get(f"{CONTROL}/consumers/123456789").json()["consumers"][0]
    assert len(consumer["pulls"]) == 1  # a failed call is not a pull


def test_faults_until_cleared_and_per_identity(client: httpx.Client) -> None:
    token = access_token(client)
    client.post(f"{CONTROL}/faults", json={"type": "server_error", "count": None, "ssn": "111-22-3333"})

    blocked = [pull(client, token, request_body(ssn="111223333")).status_code for _ in range(3)]
    other = pull(client, token)

    assert blocked == [500, 500, 500] and other.status_code == 200
    client.delete(f"{CONTROL}/faults")
    assert pull(client, token, request_body(ssn="111223333")).status_code == 200


def test_timeout_and_latency_faults(client: httpx.Client) -> None:
    token = access_token(client)
    client.post(f"{CONTROL}/faults", json={"type": "timeout", "seconds": 1.5})
    with pytest.raises(httpx.ReadTimeout):
        client.post(TOKEN, json=CREDENTIALS, timeout=0.5)

    client.post(f"{CONTROL}/faults", json={"type": "timeout", "seconds": 0.2, "endpoint": REPORT})
    gateway = pull(client, token)
    assert gateway.status_code == 504 and error_codes(gateway) == ["1005"]

    client.post(f"{CONTROL}/faults", json={"type": "latency", "seconds": 0.4})
    started = time.monotonic()
    assert pull(client, token).status_code == 200
    assert time.monotonic() - started >= 0.4


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": {"firstName": "Laurie"}}, "name.lastName"),
        ({"name": {"lastName": "Anderson"}}, "name.firstName"),
        ({"ssn": {}}, "ssn.ssn"),
        ({"ssn": {"ssn": "12345"}}, "ssn.ssn"),
        ({"dob": {"dob": ""}}, "dob.dob"),
        ({"dob": {"dob": "1980-03-12"}}, "dob.dob"),
        ({"currentAddress": {"line1": "1 Main St", "city": "Austin"}}, "currentAddress.state"),
        ({"currentAddress": {}}, "currentAddress.line1"),
    ],
)
def test_validation_errors(client: httpx.Client, change: dict[str, Any], field: str) -> None:
    response = pull(client, access_token(client), request_body(**change))

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert all(error["errorCode"] == "1000" and error["errorType"] for error in errors)
    assert any(field in error["message"] for error in errors), errors


def test_malformed_and_incomplete_requests(client: httpx.Client) -> None:
    token = access_token(client)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    no_requestor = copy.deepcopy(request_body())
    del no_requestor["requestor"]

    not_json = client.post(REPORT, content=b"{nope", headers=headers)
    no_applicant = pull(client, token, {"requestor": {"subscriberCode": "2222222"}})
    missing_requestor = pull(client, token, no_requestor)

    assert not_json.status_code == 400 and error_codes(not_json) == ["1004"]
    assert no_applicant.status_code == 400
    assert "primaryApplicant" in no_applicant.json()["errors"][0]["message"]
    assert missing_requestor.status_code == 400
    assert "requestor.subscriberCode" in missing_requestor.json()["errors"][0]["message"]


def test_inquiry_not_allowed(client: httpx.Client) -> None:
    token = access_token(client)

    flagged = pull(client, token, request_body(ssn="666-12-3456"))
    client.post(f"{CONTROL}/faults", json={"type": "inquiry_not_allowed", "count": 1})
    faulted, recovered = pull(client, token), pull(client, token)

    for response in (flagged, faulted):
        assert response.status_code == 400
        assert response.json() == {
            "errors": [
                {"errorCode": "76", "errorType": "Backend Error", "message": "INQUIRY NOT ALLOWED"},
            ]
        }
    assert recovered.status_code == 200
    assert client.get(f"{CONTROL}/consumers/666123456").status_code == 404
    consumer = client.get(f"{CONTROL}/consumers/123456789").json()["consumers"][0]
    assert len(consumer["pulls"]) == 1


def test_invalid_control_input_is_rejected(client: httpx.Client) -> None:
    assert client.post(f"{CONTROL}/faults", json={"type": "meteor"}).status_code == 400
    assert client.post(f"{CONTROL}/faults", json={"type": "server_error", "count": 0}).status_code == 400
    assert client.post(f"{CONTROL}/config", json={"token_ttl_seconds": 0}).status_code == 400
    assert client.post(f"{CONTROL}/config", json={"colour": "red"}).status_code == 400
    assert client.post(f"{CONTROL}/next-pull", json={"score_delta": "-3"}).status_code == 400


def test_state_survives_a_restart(tmp_path: Any) -> None:
    proc, url = start_sandbox({"SANDBOX_STATE_DIR": str(tmp_path)})
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            token = access_token(http)
            first = profile(http, token)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (tmp_path / "experian.json").exists()

    proc, url = start_sandbox({"SANDBOX_STATE_DIR": str(tmp_path)})
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            second = profile(http, token)  # the token issued before the restart still works
            consumer = http.get(f"{CONTROL}/consumers/123456789").json()["consumers"][0]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert len(consumer["pulls"]) == 2
    assert second["tradeline"] != first["tradeline"]


def test_recorded_fixtures_have_the_documented_shapes() -> None:
    full, missing, thin = (
        json.loads((FIXTURES / f"credit_report_{name}.json").read_text())["creditProfile"][0]
        for name in ("full", "missing_sections", "thin_file")
    )

    for credit_profile in (full, missing, thin):
        assert all(isinstance(value, str) for _, value in _leaves(credit_profile))
        assert credit_profile["riskModel"][0]["scoreFactors"] and credit_profile["tradeline"]
    assert {"inquiry", "publicRecord", "summaries"} <= set(full) and len(full["tradeline"]) >= 8
    assert {t["openOrClosed"] for t in full["tradeline"]} == {"O", "C"}
    assert not {"inquiry", "publicRecord", "summaries"} & set(missing)
    assert len(thin["tradeline"]) == 3 and "publicRecord" not in thin
