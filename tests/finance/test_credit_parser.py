"""The Experian parser on recorded reports: zero-padded strings, missing sections, a thin file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from finance.credit import parser as credit_parser
from finance.credit.parser import (
    dollars_to_minor,
    factor_text,
    last_four,
    mmddyyyy,
    parse_report,
    to_int,
    without_account_numbers,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "experian"


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((FIXTURES / f"credit_report_{name}.json").read_text()))


def test_full_report() -> None:
    report = parse_report(fixture("full"))
    assert report.report_date == date(2025, 6, 15)

    score = report.score
    assert score is not None
    assert (score.model, score.model_name, score.value, score.raw_value, score.evaluation) == (
        "V4", "VantageScore 4.0", 597, "0597", "N",
    )  # fmt: skip
    assert [(f.rank, f.code) for f in score.factors] == [(1, "98"), (2, "15"), (3, "32"), (4, "85")]
    assert score.factors[0].text == "There is a bankruptcy on your credit report"
    assert score.factors[1].text == "Newest delinquent/derogatory payment status on your accts is too recent"

    assert len(report.tradelines) == 9
    loan, card = report.tradelines[0], report.tradelines[1]
    assert (loan.creditor, loan.account_type, loan.revolving, loan.is_open) == (
        "UPSTART NETWORK INC",
        "01",
        False,
        True,
    )
    assert loan.opened_on == date(2025, 4, 16)
    assert loan.balance_minor == 424_500  # "00004245" whole dollars
    assert loan.original_amount_minor == 430_000 and loan.limit_minor is None
    assert loan.monthly_payment_minor == 9_400 and loan.last_payment_on == date(2025, 5, 9)
    assert (card.creditor, card.revolving, card.account_last4) == ("AMEX", True, "6149")  # "505274006149XXXX"
    assert (card.limit_minor, card.high_balance_minor, card.balance_minor) == (490_000, 313_600, 272_000)
    assert card.payment_history == "C0CCCC" and card.status == "11"
    assert card.identity == "9002053:18:2024-12-09:6149"
    closed = [t for t in report.tradelines if not t.is_open]
    assert closed and all(t.status in ("12", "13") for t in closed)

    assert len(report.inquiries) == 4
    first, card_inquiry = report.inquiries[0], report.inquiries[1]
    assert (first.subscriber_name, first.inquired_on, first.amount_minor) == (
        "UPSTART NETWORK INC", date(2025, 4, 14), 430_000,
    )  # fmt: skip
    assert card_inquiry.amount_minor is None  # "UNKNOWN"
    assert (card_inquiry.credit_type, card_inquiry.kind_of_business) == ("18", "BC")
    assert first.identity == "7242796:2025-04-14"

    summary = report.summary
    assert summary.revolving_balance_minor == 272_000
    assert summary.real_estate_balance_minor == 24_222_000
    assert summary.past_due_minor == 312_600
    assert summary.revolving_available_percent == 57
    assert summary.total_inquiries == 4 and summary.inquiries_last_6_months == 1
    assert summary.oldest_tradeline_date == date(2012, 6, 21)
    assert report.public_records == 1
    assert summary.as_json()["oldest_tradeline_date"] == "2012-06-21"
    json.dumps(summary.as_json())  # storable as is


def test_missing_optional_sections_are_tolerated() -> None:
    payload = fixture("missing_sections")
    assert "inquiry" not in payload["creditProfile"][0] and "summaries" not in payload["creditProfile"][0]
    report = parse_report(payload)
    assert report.inquiries == () and report.public_records == 0
    assert report.summary == credit_parser.Summary()
    assert report.summary.as_json() == {}
    assert report.score is not None and report.score.value == 776
    assert [f.code for f in report.score.factors] == ["81", "64", "30", "29"]
    assert report.score.factors[0].text == "No open installment accounts in your credit file"
    no_payment = report.tradelines[0]
    assert no_payment.monthly_payment_minor is None and no_payment.last_payment_on is None
    assert no_payment.balance_minor == 0


def test_thin_file() -> None:
    report = parse_report(fixture("thin_file"))
    assert len(report.tradelines) == 3 and len(report.inquiries) == 3
    assert report.score is not None and report.score.value == 631
    assert [f.text for f in report.score.factors][2] == "Lack of sufficient credit history"
    student = report.tradelines[2]
    assert (student.account_type, student.revolving, student.payment_history[:5]) == ("12", False, "CCCC1")
    assert report.summary.total_tradelines == 3 and report.summary.oldest_tradeline_date == date(2022, 7, 29)


def test_segments_absent_or_odd_and_unscorable_files() -> None:
    payload = fixture("thin_file")
    profile = payload["creditProfile"][0]
    for key in ("tradeline", "inquiry", "summaries", "headerRecord"):
        profile.pop(key)
    profile["riskModel"] = [{"modelIndicator": "V4", "score": "0004", "evaluation": "", "scoreFactors": []}]
    report = parse_report(payload)
    assert report.tradelines == () and report.report_date is None
    assert report.score is not None and report.score.value is None and report.score.raw_value == "0004"
    with pytest.raises(credit_parser.ReportFormatError):
        parse_report({"errors": [{"errorCode": "1000"}]})


def test_scalars() -> None:
    assert to_int("0783") == 783 and to_int("UNKNOWN") is None and to_int("") is None and to_int(None) is None
    assert dollars_to_minor("00004300") == 430_000 and dollars_to_minor("UNK") is None
    assert mmddyyyy("02292024") == date(2024, 2, 29)
    assert mmddyyyy("02302024") is None and mmddyyyy("2024-02-01") is None


def test_factor_text_by_model_and_numeric_code() -> None:
    assert (
        factor_text("V4", "06")
        == factor_text("V4", "6")
        == "You have too many accounts that were opened recently"
    )
    assert factor_text("F9", "01") == "Amount owed on accounts is too high"  # FICO's list, not VantageScore's
    assert factor_text("V4", "99").startswith("Score factor 99")
    assert factor_text("XX", "06").startswith("Score factor 06")


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("284503771197XXXX", "1197"),  # Experian masks the end: the last four digits it shows
        ("XXXX1197", "1197"),
        ("****1197", "1197"),
        ("4096-5892-XXXX", "5892"),
        ("5052740061491197", "1197"),  # a full number, should one ever arrive
        ("1197", "1197"),
        ("97XX", "97"),
        ("XXXXXXXX", ""),
        ("UNKNOWN", ""),
        ("", ""),
        (None, ""),
        (40965892, ""),  # not Experian's shape (every value is a string): keep nothing
        ("١٢٣٤٥", ""),  # digits, but not ASCII ones
    ],
)
def test_only_the_last_four_digits_of_an_account_number_are_kept(sent: object, kept: str) -> None:
    assert last_four(sent) == kept
    record = fixture("full")["creditProfile"][0]["tradeline"][1] | {"accountNumber": sent}
    tradeline = credit_parser.parse_tradeline(record)
    assert tradeline.account_last4 == kept and tradeline.identity.endswith(f":{kept}")


def test_the_report_as_stored_keeps_only_the_last_four_digits() -> None:
    payload = fixture("full")
    sent = [t["accountNumber"] for t in payload["creditProfile"][0]["tradeline"]]
    assert all(len(number) >= 10 for number in sent)

    kept = without_account_numbers(payload)
    assert [t["accountNumber"] for t in kept["creditProfile"][0]["tradeline"]] == [n[-8:-4] for n in sent]
    assert [t["accountNumber"] for t in payload["creditProfile"][0]["tradeline"]] == sent  # a copy
    for number in sent:
        assert number[:-4] not in json.dumps(kept)
    # Everything else stays as Experian sent it, and reading the stored copy gives the same report.
    for original, stored in zip(
        payload["creditProfile"][0]["tradeline"], kept["creditProfile"][0]["tradeline"], strict=True
    ):
        assert original | {"accountNumber": ""} == stored | {"accountNumber": ""}
    assert parse_report(kept) == parse_report(payload)

    one_segment = {"creditProfile": [{"tradeline": {"accountNumber": "284503771197XXXX"}}]}
    assert without_account_numbers(one_segment) == {
        "creditProfile": [{"tradeline": {"accountNumber": "1197"}}]
    }
    odd_shapes: list[Any] = [
        {"errors": []},
        {"creditProfile": "x"},
        {"creditProfile": [None, {"tradeline": [1]}]},
        [],
        "x",
    ]
    for odd in odd_shapes:
        assert without_account_numbers(odd) == odd
