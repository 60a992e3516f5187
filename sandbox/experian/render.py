"""A credit file written out as Experian's Credit Profile JSON: every value a zero-padded string.

Segments with nothing on file (inquiries, public records) are left out rather than sent empty. Tradeline,
inquiry and address keys are sorted, as the real service sends them.
"""

from __future__ import annotations

import calendar
import json
from datetime import date, datetime, timedelta
from typing import Any

from sandbox.experian.applicant import Applicant
from sandbox.experian.codes import (
    CONDITION_CLOSED,
    CONDITION_OPEN,
    HISTORY_30_DAYS,
    HISTORY_60_DAYS,
    LATE_MARKS,
    PRODUCTS,
    STATUS_30_DAYS_LATE,
    STATUS_CLOSED_REVOLVING,
    STATUS_CURRENT,
    STATUS_PAID_INSTALLMENT,
    subscriber_code,
)
from sandbox.experian.profile import CreditFile, Inquiry, PublicRecord, Tradeline, rng, score_factors

PAYMENT_HISTORY_MONTHS = 25
STREET_SUFFIXES = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "LANE": "LN",
    "BOULEVARD": "BLVD",
    "COURT": "CT",
    "PLACE": "PL",
    "CIRCLE": "CIR",
    "PARKWAY": "PKWY",
    "TERRACE": "TER",
    "HIGHWAY": "HWY",
    "TRAIL": "TRL",
    "WAY": "WAY",
    "LOOP": "LOOP",
}
DIRECTIONS = {"N", "S", "E", "W", "NE", "NW", "SE", "SW"}
UNIT_TYPES = {"APT", "UNIT", "STE", "SUITE", "#"}
FORMER_STREETS = ("OAK", "MAPLE", "CEDAR", "WILLOW", "LAKEVIEW", "HIGHLAND", "PARK", "WASHINGTON", "MILL")


def amount(value: int, width: int = 8) -> str:
    return f"{max(0, value):0{width}d}"


def count(value: int) -> str:
    return f"{value:02d}"


def mmddyyyy(day: date) -> str:
    return day.strftime("%m%d%Y")


def statement_date(day_of_month: int, on_or_before: date) -> date:
    """The last date on or before `on_or_before` that falls on the lender's reporting day."""
    candidate = on_or_before.replace(
        day=min(day_of_month, calendar.monthrange(on_or_before.year, on_or_before.month)[1])
    )
    if candidate <= on_or_before:
        return candidate
    previous = on_or_before.replace(day=1) - timedelta(days=1)
    return previous.replace(day=min(day_of_month, previous.day))


def credit_report(
    file: CreditFile, applicant: Applicant, models: list[str], reported_at: datetime, keyword: str
) -> dict[str, Any]:
    tradelines = sorted(file.tradelines, key=lambda t: (not t.is_open, -t.opened.toordinal(), t.key))
    inquiries = file.recent_inquiries()
    profile: dict[str, Any] = {
        "headerRecord": [
            {
                "reportDate": reported_at.strftime("%m%d%y"),
                "reportTime": reported_at.strftime("%H%M%S"),
                "preamble": "TCA1",
                "versionNo": "07",
                "mKeywordLength": count(len(keyword)),
                "mKeywordText": keyword,
                "y2kReportedDate": mmddyyyy(reported_at.date()),
            }
        ],
        "addressInformation": _addresses(file, applicant),
        "consumerIdentity": {"name": [_name(applicant)]},
        "informationalMessage": [
            {"messageNumber": "84", "messageNumberDetailed": "0084", "messageText": "SSN MATCHES"}
        ],
        "inquiry": [_inquiry(inquiry) for inquiry in inquiries],
        "publicRecord": [_public_record(record) for record in file.public_records],
        "riskModel": [_risk_model(file, model) for model in models],
        "summaries": [{"summaryType": "Profile Summary", "attributes": _profile_summary(file, inquiries)}],
        "tradeline": [_tradeline(tradeline, file.as_of) for tradeline in tradelines],
    }
    profile = {key: value for key, value in profile.items() if value}
    segments = sum(len(value) if isinstance(value, list) else 1 for value in profile.values())
    profile["endTotals"] = [
        {"totalSegments": f"{segments + 1:03d}", "totalLength": f"{len(json.dumps(profile)) % 100_000:05d}"}
    ]
    return {"creditProfile": [profile]}


def _name(applicant: Applicant) -> dict[str, str]:
    name = {
        "firstName": applicant.first_name,
        "middleName": applicant.middle_name,
        "surname": applicant.surname,
    }
    return {key: value for key, value in name.items() if value} | {"type": "N"}  # N: the name as reported


def _risk_model(file: CreditFile, model: str) -> dict[str, Any]:
    return {
        "evaluation": "P" if file.score >= 620 else "N",
        "modelIndicator": model,
        "score": f"{file.score:04d}",
        "scoreFactors": [
            {"importance": str(rank), "code": code} for rank, code in enumerate(score_factors(file), start=1)
        ],
    }


def _tradeline(t: Tradeline, as_of: date) -> dict[str, Any]:
    product = PRODUCTS[t.kind]
    reported = t.closed or statement_date(t.statement_day, as_of - timedelta(days=3))
    status_day = mmddyyyy(reported.replace(day=1))
    late_now = t.is_open and t.history[:1] in LATE_MARKS
    if late_now:
        status = STATUS_30_DAYS_LATE
    elif t.is_open:
        status = STATUS_CURRENT
    else:
        status = STATUS_CLOSED_REVOLVING if t.revolving else STATUS_PAID_INSTALLMENT
    terms = "REV" if t.revolving else f"{t.term:03d}"
    enhanced: dict[str, str] = {
        "enhancedAccountCondition": CONDITION_OPEN if t.is_open else CONDITION_CLOSED,
        "enhancedAccountType": product.account_type,
        "enhancedPaymentHistory84": t.history,
        "enhancedPaymentStatus": STATUS_30_DAYS_LATE if late_now else STATUS_CURRENT if t.is_open else "13",
        "enhancedTerms": terms,
        "enhancedTermsFrequency": "M",
        "paymentLevelDate": status_day,
    }
    row: dict[str, Any] = {
        "accountNumber": t.number,
        "accountType": product.account_type,
        "amount1": amount(t.amount),
        "amount1Qualifier": "L" if t.revolving else "O",
        "balanceAmount": amount(t.balance),
        "balanceDate": mmddyyyy(reported),
        "delinquencies30Days": count(t.history.count(HISTORY_30_DAYS)),
        "delinquencies60Days": count(t.history.count(HISTORY_60_DAYS)),
        "delinquencies90to180Days": "00",
        "derogCounter": "00",
        "ecoa": "1",
        "enhancedPaymentData": enhanced,
        "evaluation": "N" if t.lates else "P",
        "kob": product.kob,
        "monthsHistory": count(min(99, len(t.history))),
        "openDate": mmddyyyy(t.opened),
        "openOrClosed": "O" if t.is_open else "C",
        "paymentHistory": t.history[:PAYMENT_HISTORY_MONTHS],
        "revolvingOrInstallment": "R" if t.revolving else "I",
        "status": status,
        "statusDate": status_day,
        "subscriberCode": subscriber_code(t.lender),
        "subscriberName": t.lender,
        "terms": terms,
    }
    if t.revolving:
        row |= {"amount2": amount(t.high_balance), "amount2Qualifier": "H"}
        enhanced |= {
            "creditLimitAmount": amount(t.amount, 10),
            "highBalanceAmount": amount(t.high_balance, 10),
        }
    else:
        enhanced["originalLoanAmount"] = amount(t.amount, 10)
    if t.is_open and t.payment:
        row |= {"monthlyPaymentAmount": amount(t.payment), "monthlyPaymentType": "S"}
        if not late_now:
            enhanced["actualPaymentAmount"] = amount(t.payment)
    if t.past_due:
        row["amountPastDue"] = amount(t.past_due)
    if t.payment or not t.is_open:
        row["lastPaymentDate"] = mmddyyyy(reported - timedelta(days=3 + t.statement_day % 12))
    row["enhancedPaymentData"] = dict(sorted(enhanced.items()))
    return dict(sorted(row.items()))


def _inquiry(inquiry: Inquiry) -> dict[str, str]:
    product = PRODUCTS[inquiry.kind]
    return {
        "amount": "UNKNOWN" if inquiry.amount is None else amount(inquiry.amount),
        "date": mmddyyyy(inquiry.day),
        "kob": product.kob,
        "subscriberCode": subscriber_code(inquiry.lender),
        "subscriberName": inquiry.lender,
        "terms": f"{inquiry.term:03d}" if inquiry.term else "UNK",
        "type": product.account_type,
    }


def _public_record(record: PublicRecord) -> dict[str, str]:
    return {
        "courtCode": subscriber_code(record.court),
        "courtName": record.court,
        "ecoa": "1",
        "evaluation": "N",
        "filingDate": mmddyyyy(record.filed),
        "referenceNumber": record.reference,
        "status": "15",
        "statusDate": mmddyyyy(record.filed + timedelta(days=112)),
    }


def _profile_summary(file: CreditFile, inquiries: list[Inquiry]) -> list[dict[str, str]]:
    open_lines = [t for t in file.tradelines if t.is_open]
    revolving = file.open_revolving
    installment = [t for t in open_lines if not t.revolving and t.kind != "mortgage"]
    mortgages = [t for t in open_lines if t.kind == "mortgage"]
    late_now = [t for t in open_lines if t.history[:1] in LATE_MARKS]
    attributes = [
        ("publicRecordsCount", count(len(file.public_records))),
        ("installmentBalance", amount(sum(t.balance for t in installment), 9)),
        ("realEstateBalance", amount(sum(t.balance for t in mortgages), 9)),
        ("revolvingBalance", amount(sum(t.balance for t in revolving), 9)),
        ("pastDueAmount", amount(sum(t.past_due for t in open_lines), 9)),
        ("monthlyPayment", amount(sum(t.payment for t in open_lines), 9)),
        ("realEstatePayment", amount(sum(t.payment for t in mortgages), 9)),
    ]
    limit = sum(t.amount for t in revolving)
    if limit:
        available = round(100 * (limit - sum(t.balance for t in revolving)) / limit)
        attributes.append(("revolvingAvailablePercent", f"{available:03d}"))
    attributes += [
        ("totalInquiries", count(len(inquiries))),
        (
            "inquiriesDuringLast6Months",
            count(sum(file.as_of - i.day < timedelta(days=183) for i in inquiries)),
        ),
        ("totalTradeItems", count(len(file.tradelines))),
        ("paidAccounts", count(sum(not t.is_open for t in file.tradelines))),
        ("satisfactoryAccounts", count(sum(not t.lates for t in file.tradelines))),
        ("nowDelinquentDerog", count(len(late_now))),
        ("wasDelinquentDerog", count(sum(bool(t.lates) and t not in late_now for t in file.tradelines))),
        ("oldestTradeDate", mmddyyyy(min(t.opened for t in file.tradelines))),
        ("delinquencies30Days", count(sum(t.history.count(HISTORY_30_DAYS) for t in file.tradelines))),
        ("delinquencies60Days", count(sum(t.history.count(HISTORY_60_DAYS) for t in file.tradelines))),
        ("delinquencies90to180Days", "00"),
        ("derogCounter", count(len(file.public_records))),
    ]
    return [{"id": key, "value": value} for key, value in attributes]


def _addresses(file: CreditFile, applicant: Applicant) -> list[dict[str, str]]:
    """The applicant's current address as Experian splits it, then up to two former ones in the same city."""
    r = rng(file.seed, "addresses")
    earliest = min(t.opened for t in file.tradelines)  # addresses reach Experian with credit activity
    moved_in = max(earliest, file.first_pull - timedelta(days=r.randint(200, 2400)))
    plus_four = r.randint(0, 9999)
    zip_code = applicant.zip_code if len(applicant.zip_code) == 9 else f"{applicant.zip_code}{plus_four:04d}"
    current = {
        **_street(applicant.line1, applicant.line2),
        "city": applicant.city,
        "firstReportedDate": mmddyyyy(moved_in),
        "lastReportingSubscriberCode": subscriber_code(file.tradelines[0].lender),
        "lastUpdatedDate": mmddyyyy(file.as_of - timedelta(days=r.randint(5, 40))),
        "source": "1",
        "state": applicant.state,
        "timesReported": count(min(99, len(file.tradelines) * 3 + file.pulls)),
        "zipCode": zip_code,
    }
    rows = [current]
    for _ in range(r.randint(1, 2)):
        if moved_in - earliest < timedelta(days=400):
            break
        moved_out, moved_in = moved_in, max(earliest, moved_in - timedelta(days=r.randint(400, 2200)))
        rows.append(
            {
                "city": applicant.city,
                "dwellingType": r.choice(("S", "A")),
                "firstReportedDate": mmddyyyy(moved_in),
                "lastUpdatedDate": mmddyyyy(moved_out - timedelta(days=r.randint(10, 90))),
                "source": "1",
                "state": applicant.state,
                "streetName": r.choice(FORMER_STREETS),
                "streetPrefix": str(r.randint(100, 9999)),
                "streetSuffix": r.choice(("ST", "AVE", "DR", "LN", "RD")),
                "timesReported": count(r.randint(1, 30)),
                "zipCode": f"{applicant.zip_code[:5]}{r.randint(0, 9999):04d}",
            }
        )
    return [dict(sorted(row.items())) for row in rows]


def _street(line1: str, line2: str) -> dict[str, str]:
    """Splits "450 E OLIVE AVE APT 339" into prefix "450 E", name "OLIVE", suffix "AVE", unit APT 339."""
    tokens = line1.replace(",", " ").replace(".", "").split()
    unit_tokens = line2.replace(",", " ").split()
    for index, token in enumerate(tokens):
        if token in UNIT_TYPES or token.startswith("#"):
            tokens, unit_tokens = tokens[:index], tokens[index:]
            break
    prefix: list[str] = []
    if tokens and tokens[0].isdigit():
        prefix.append(tokens.pop(0))
        if len(tokens) > 1 and tokens[0] in DIRECTIONS:
            prefix.append(tokens.pop(0))
    suffix = STREET_SUFFIXES.get(tokens[-1], tokens[-1]) if len(tokens) > 1 else ""
    if suffix and suffix in STREET_SUFFIXES.values():
        tokens = tokens[:-1]
    else:
        suffix = ""
    street = {
        "streetName": " ".join(tokens),
        "streetPrefix": " ".join(prefix),
        "streetSuffix": suffix,
        "dwellingType": "A" if unit_tokens else "S",
    }
    if unit_tokens:
        head, rest = unit_tokens[0], unit_tokens[1:]
        if head.startswith("#"):
            unit_type, unit_id = "APT", head[1:] or " ".join(rest)
        elif head in UNIT_TYPES:
            unit_type, unit_id = head, " ".join(rest)
        else:
            unit_type, unit_id = "APT", " ".join(unit_tokens)
        street |= {"unitType": unit_type, "unitId": unit_id}
    return {key: value for key, value in street.items() if value}
