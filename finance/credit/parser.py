"""Experian Credit Profile JSON → plain dataclasses. Pure functions: no database, no network.

Experian sends every value as a string: numbers zero-padded ("0783", "00004300"), dates as MMDDYYYY,
money in whole dollars (stored here as integer cents, like every amount in the app), "UNKNOWN" or an
empty string where nothing is known. Segments with nothing on file (inquiries, public records, even the
summaries) are left out of the response, so everything but the profile itself is optional.

Account numbers are cut to their last four digits here, before anything is stored (`last_four`,
`without_account_numbers`).

Score factors arrive as codes; their plain-language reasons come from
`finance/credit/data/credit-score-reason-codes.csv` (sources in its header), chosen by the risk model.
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

REASON_CODES_CSV = Path(__file__).resolve().parent / "data" / "credit-score-reason-codes.csv"
MIN_SCORE, MAX_SCORE = 300, 850

# Experian's `modelIndicator` → (name shown to people, reason-code lists to look codes up in, in order).
# VantageScore reason codes are defined by VantageScore Solutions and shared across versions and bureaus
# as far as the published lists show; no VantageScore 4.0-specific list was found, so V4 uses 3.0's.
# Most FICO codes mean the same at every bureau: Experian's own list first, Equifax's as a fallback.
VANTAGE_LISTS = ("VantageScore 3.0",)
FICO_LISTS = ("FICO (Experian)", "FICO (Equifax)")
MODEL_NAMES = {"V4": "VantageScore 4.0", "V3": "VantageScore 3.0"}

# Tradeline and inquiry `accountType` / `type` codes (Metro 2 based) the app names.
ACCOUNT_TYPES = {
    "00": "Auto loan",
    "01": "Unsecured loan",
    "07": "Retail card",
    "12": "Student loan",
    "18": "Credit card",
    "26": "Mortgage",
}
# Tradeline `status` codes.
STATUS_LABELS = {
    "11": "Open, paid as agreed",
    "12": "Closed, zero balance",
    "13": "Paid in full",
    "71": "30 days past due",
    "78": "60 days past due",
    "80": "90 days past due",
}
# Profile Summary attributes: Experian's id → (our field, kind).
SUMMARY_FIELDS: dict[str, tuple[str, str]] = {
    "revolvingBalance": ("revolving_balance_minor", "money"),
    "installmentBalance": ("installment_balance_minor", "money"),
    "realEstateBalance": ("real_estate_balance_minor", "money"),
    "pastDueAmount": ("past_due_minor", "money"),
    "monthlyPayment": ("monthly_payment_minor", "money"),
    "realEstatePayment": ("real_estate_payment_minor", "money"),
    "revolvingAvailablePercent": ("revolving_available_percent", "count"),
    "totalInquiries": ("total_inquiries", "count"),
    "inquiriesDuringLast6Months": ("inquiries_last_6_months", "count"),
    "totalTradeItems": ("total_tradelines", "count"),
    "paidAccounts": ("paid_accounts", "count"),
    "satisfactoryAccounts": ("satisfactory_accounts", "count"),
    "nowDelinquentDerog": ("now_delinquent", "count"),
    "wasDelinquentDerog": ("was_delinquent", "count"),
    "publicRecordsCount": ("public_records", "count"),
    "delinquencies30Days": ("delinquencies_30_days", "count"),
    "delinquencies60Days": ("delinquencies_60_days", "count"),
    "delinquencies90to180Days": ("delinquencies_90_to_180_days", "count"),
    "derogCounter": ("derogatory_items", "count"),
    "oldestTradeDate": ("oldest_tradeline_date", "date"),
}


# --- the shapes ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Factor:
    rank: int  # Experian's `importance`: 1 weighed most
    code: str  # as Experian sent it ("06")
    text: str  # the plain-language reason


@dataclass(frozen=True)
class Score:
    model: str  # Experian's modelIndicator ("V4")
    model_name: str  # "VantageScore 4.0"
    value: int | None  # None: no score (thin or unscorable file; Experian then sends an exclusion code)
    raw_value: str
    evaluation: str  # "P" positive / "N" negative, as Experian rates it
    factors: tuple[Factor, ...]


@dataclass(frozen=True)
class Tradeline:
    creditor: str
    subscriber_code: str
    account_last4: str  # `last_four` of Experian's masked number: "1197" from "284503771197XXXX"
    account_type: str
    revolving: bool
    opened_on: date | None
    is_open: bool
    balance_minor: int | None
    balance_date: date | None
    limit_minor: int | None  # revolving: the credit limit
    high_balance_minor: int | None
    original_amount_minor: int | None  # installment: the amount borrowed
    monthly_payment_minor: int | None
    past_due_minor: int | None
    last_payment_on: date | None
    payment_history: (
        str  # one character a month, most recent first (C current, 0 no balance, 1 30 days late…)
    )
    status: str
    kind_of_business: str

    @property
    def identity(self) -> str:
        """Stable across pulls: which account this is, so snapshots can be compared."""
        opened = self.opened_on.isoformat() if self.opened_on else "?"
        return f"{self.subscriber_code or self.creditor}:{self.account_type}:{opened}:{self.account_last4}"


@dataclass(frozen=True)
class Inquiry:
    inquired_on: date | None
    subscriber_name: str
    subscriber_code: str
    kind_of_business: str
    credit_type: str  # the account type applied for, same codes as tradelines
    amount_minor: int | None

    @property
    def identity(self) -> str:
        day = self.inquired_on.isoformat() if self.inquired_on else "?"
        return f"{self.subscriber_code or self.subscriber_name}:{day}"


@dataclass(frozen=True)
class Summary:
    revolving_balance_minor: int | None = None
    installment_balance_minor: int | None = None
    real_estate_balance_minor: int | None = None
    past_due_minor: int | None = None
    monthly_payment_minor: int | None = None
    real_estate_payment_minor: int | None = None
    revolving_available_percent: int | None = None
    total_inquiries: int | None = None
    inquiries_last_6_months: int | None = None
    total_tradelines: int | None = None
    paid_accounts: int | None = None
    satisfactory_accounts: int | None = None
    now_delinquent: int | None = None
    was_delinquent: int | None = None
    public_records: int | None = None
    delinquencies_30_days: int | None = None
    delinquencies_60_days: int | None = None
    delinquencies_90_to_180_days: int | None = None
    derogatory_items: int | None = None
    oldest_tradeline_date: date | None = None

    def as_json(self) -> dict[str, Any]:
        """For a JSONField: dates as ISO strings, unknown values left out."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {
            name: value.isoformat() if isinstance(value, date) else value
            for name, value in values.items()
            if value is not None
        }


@dataclass(frozen=True)
class Report:
    report_date: date | None
    scores: tuple[Score, ...]
    tradelines: tuple[Tradeline, ...]
    inquiries: tuple[Inquiry, ...]
    summary: Summary
    public_records: int = 0
    messages: tuple[str, ...] = field(default=())

    @property
    def score(self) -> Score | None:
        """The first risk model's score: the one the app shows."""
        return self.scores[0] if self.scores else None


class ReportFormatError(ValueError):
    """The response is not a Credit Profile report at all."""


# --- scalar conversions --------------------------------------------------------------------------------
def to_int(value: Any) -> int | None:
    """ "0783" → 783; "", "UNKNOWN", "UNK" and anything not all digits → None."""
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() else None


def dollars_to_minor(value: Any) -> int | None:
    """Experian amounts are whole US dollars, zero-padded: "00004300" → 430000 cents."""
    dollars = to_int(value)
    return None if dollars is None else dollars * 100


def mmddyyyy(value: Any) -> date | None:
    text = str(value).strip() if value is not None else ""
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        return date(int(text[4:]), int(text[:2]), int(text[2:4]))
    except ValueError:
        return None


def last_four(account_number: Any) -> str:
    """The last four digits shown in an account number: "XXXX1197", "****1197" and "284503771197XXXX"
    all give "1197"; fewer when fewer are shown ("97XX" → "97"); "" when none are.

    Experian masks the end of the number, so for its masks these are the last four *visible* digits,
    not the account's real last four: enough for a person to tell their accounts apart, and all we keep.
    """
    text = account_number if isinstance(account_number, str) else ""
    return "".join(character for character in text if character in "0123456789")[-4:]


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    return value.strip() if isinstance(value, str) else ""


def _records(profile: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = profile.get(key)
    if isinstance(value, dict):  # some gateways send a one-element segment as an object
        value = [value]
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


# --- score factors -----------------------------------------------------------------------------------
@cache
def reason_codes() -> dict[tuple[str, int], str]:
    """(list name, numeric code) → reason statement, from the CSV (lines starting with # are notes)."""
    with REASON_CODES_CSV.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {(row["model"], int(row["code"])): row["description"].strip() for row in rows}


def model_name(model: str) -> str:
    model = model.strip().upper()
    if model in MODEL_NAMES:
        return MODEL_NAMES[model]
    if model.startswith("V"):
        return "VantageScore"
    if model.startswith("F"):
        return "FICO Score"
    return f"Score model {model}" if model else "Credit score"


def factor_text(model: str, code: str) -> str:
    """The plain-language reason for a score factor code under this risk model.

    Codes compare numerically ("06" is 6). A code no list explains still says what it is, so the page
    never shows a bare number without context.
    """
    number = to_int(code)
    model = model.strip().upper()
    lists = VANTAGE_LISTS if model.startswith("V") else FICO_LISTS if model.startswith("F") else ()
    table = reason_codes()
    for list_name in lists:
        if number is not None and (list_name, number) in table:
            return table[(list_name, number)]
    return f"Score factor {code.strip() or '?'} (no description available)"


# --- segments --------------------------------------------------------------------------------------------
def parse_score(record: dict[str, Any]) -> Score:
    model = _text(record, "modelIndicator").upper()
    raw_value = _text(record, "score")
    value = to_int(raw_value)
    if value is not None and not MIN_SCORE <= value <= MAX_SCORE:
        value = None  # an exclusion code ("0001", "9001"…): the file could not be scored
    factors = []
    for position, factor in enumerate(_records(record, "scoreFactors"), start=1):
        code = _text(factor, "code")
        if code:
            rank = to_int(factor.get("importance")) or position
            factors.append(Factor(rank=rank, code=code, text=factor_text(model, code)))
    return Score(
        model=model,
        model_name=model_name(model),
        value=value,
        raw_value=raw_value,
        evaluation=_text(record, "evaluation"),
        factors=tuple(sorted(factors, key=lambda f: f.rank)),
    )


def parse_tradeline(record: dict[str, Any]) -> Tradeline:
    enhanced = record.get("enhancedPaymentData")
    enhanced = enhanced if isinstance(enhanced, dict) else {}
    amounts: dict[str, int | None] = {}
    for amount_key, qualifier_key in (("amount1", "amount1Qualifier"), ("amount2", "amount2Qualifier")):
        qualifier = _text(record, qualifier_key).upper()
        if qualifier:
            amounts.setdefault(qualifier, dollars_to_minor(record.get(amount_key)))
    revolving = _text(record, "revolvingOrInstallment").upper() == "R"
    open_or_closed = _text(record, "openOrClosed").upper()
    return Tradeline(
        creditor=_text(record, "subscriberName"),
        subscriber_code=_text(record, "subscriberCode"),
        account_last4=last_four(record.get("accountNumber")),
        account_type=_text(record, "accountType"),
        revolving=revolving,
        opened_on=mmddyyyy(record.get("openDate")),
        is_open=open_or_closed != "C",
        balance_minor=dollars_to_minor(record.get("balanceAmount")),
        balance_date=mmddyyyy(record.get("balanceDate")),
        limit_minor=_first(amounts.get("L"), dollars_to_minor(enhanced.get("creditLimitAmount"))),
        high_balance_minor=_first(amounts.get("H"), dollars_to_minor(enhanced.get("highBalanceAmount"))),
        original_amount_minor=_first(amounts.get("O"), dollars_to_minor(enhanced.get("originalLoanAmount"))),
        monthly_payment_minor=dollars_to_minor(record.get("monthlyPaymentAmount")),
        past_due_minor=dollars_to_minor(record.get("amountPastDue")),
        last_payment_on=mmddyyyy(record.get("lastPaymentDate")),
        payment_history=_text(record, "paymentHistory"),
        status=_text(record, "status"),
        kind_of_business=_text(record, "kob"),
    )


def _first(*values: int | None) -> int | None:
    return next((value for value in values if value is not None), None)


def parse_inquiry(record: dict[str, Any]) -> Inquiry:
    return Inquiry(
        inquired_on=mmddyyyy(record.get("date")),
        subscriber_name=_text(record, "subscriberName"),
        subscriber_code=_text(record, "subscriberCode"),
        kind_of_business=_text(record, "kob"),
        credit_type=_text(record, "type"),
        amount_minor=dollars_to_minor(record.get("amount")),
    )


def parse_summary(profile: dict[str, Any]) -> Summary:
    """The "Profile Summary" attributes; anything missing (or the whole segment) stays None."""
    values: dict[str, Any] = {}
    for summary in _records(profile, "summaries"):
        if _text(summary, "summaryType") not in ("", "Profile Summary"):
            continue
        for attribute in _records(summary, "attributes"):
            known = SUMMARY_FIELDS.get(_text(attribute, "id"))
            if known is None:
                continue
            name, kind = known
            raw = attribute.get("value")
            values[name] = (
                dollars_to_minor(raw) if kind == "money" else mmddyyyy(raw) if kind == "date" else to_int(raw)
            )
    return Summary(**values)


def without_account_numbers(payload: Any) -> Any:
    """A copy of the response as we keep it: each tradeline's `accountNumber` cut to `last_four`."""
    kept = copy.deepcopy(payload)
    profiles = kept.get("creditProfile") if isinstance(kept, dict) else None
    for profile in profiles if isinstance(profiles, list) else []:
        for record in _records(profile, "tradeline") if isinstance(profile, dict) else []:
            if "accountNumber" in record:
                record["accountNumber"] = last_four(record["accountNumber"])
    return kept


def parse_report(payload: Any) -> Report:
    """The first credit profile of a Credit Profile v2 response."""
    profiles = payload.get("creditProfile") if isinstance(payload, dict) else None
    if not isinstance(profiles, list) or not profiles or not isinstance(profiles[0], dict):
        raise ReportFormatError("no creditProfile in the response")
    profile = profiles[0]
    header = next(iter(_records(profile, "headerRecord")), {})
    return Report(
        report_date=mmddyyyy(header.get("y2kReportedDate")),
        scores=tuple(parse_score(record) for record in _records(profile, "riskModel")),
        tradelines=tuple(parse_tradeline(record) for record in _records(profile, "tradeline")),
        inquiries=tuple(parse_inquiry(record) for record in _records(profile, "inquiry")),
        summary=parse_summary(profile),
        public_records=len(_records(profile, "publicRecord")),
        messages=tuple(
            _text(message, "messageText") for message in _records(profile, "informationalMessage")
        ),
    )
