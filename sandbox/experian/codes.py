"""Experian's codes the emulator speaks: account types, kinds of business, statuses and score factors.

Account type, status, KOB and payment-history codes follow what Experian Credit Profile responses carry
(Metro 2 based). Score factors are VantageScore 3.0 reason codes from
`../shared/data/credit-score-reason-codes.csv`; only the ones the emulator can produce are listed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """One kind of credit: how Experian codes it and who lends it."""

    account_type: str  # tradeline `accountType`; also an inquiry's `type` (the kind of credit applied for)
    revolving: bool
    kob: str  # kind of business of the lenders below
    lenders: tuple[str, ...]
    terms_months: tuple[int, ...] = ()  # installment terms offered; empty for revolving credit
    amount_range: tuple[int, int] = (0, 0)  # original loan amount range, installment only
    annual_rate: float = 0.0  # for amortising installment balances


PRODUCTS: dict[str, Product] = {
    "card": Product(
        "18",
        True,
        "BC",
        (
            "JPMCB CARD",
            "CAPITAL ONE",
            "CITICARDS CBNA",
            "DISCOVER BANK",
            "AMEX",
            "BK OF AMER",
            "WELLS FARGO CARD SER",
            "BARCLAYS BANK DELAWARE",
            "US BANK",
            "SYNCB/PPC",
        ),
    ),
    "retail": Product(
        "07",
        True,
        "ZR",
        (
            "SYNCB/AMAZON",
            "THD/CBNA",
            "MACYS/CBNA",
            "TD BANK USA/TARGETCRED",
            "KOHLS/CAPONE",
        ),
    ),
    "auto": Product(
        "00",
        False,
        "FA",
        (
            "TOYOTA MOTOR CREDIT CO",
            "ALLY FINANCIAL",
            "AMERICAN HONDA FINANCE",
            "CAPITAL ONE AUTO FINAN",
            "SANTANDER CONSUMER USA",
        ),
        (48, 60, 72),
        (12_000, 48_000),
        0.065,
    ),
    "student": Product(
        "12",
        False,
        "EL",
        (
            "DEPT OF EDUCATION/NELN",
            "NAVIENT",
            "MOHELA",
            "DEPT OF ED/AIDVANTAGE",
        ),
        (120,),
        (3_500, 38_000),
        0.05,
    ),
    "mortgage": Product(
        "26",
        False,
        "FM",
        (
            "ROCKET MORTGAGE",
            "WELLS FARGO HM MORTGAG",
            "MR. COOPER",
            "PENNYMAC LOAN SERVICES",
        ),
        (360, 180),
        (140_000, 620_000),
        0.055,
    ),
    "personal": Product(
        "01",
        False,
        "FP",
        (
            "SOFI LENDING CORP",
            "LENDINGCLUB CORP",
            "DISCOVER PERSONAL LOAN",
            "UPSTART NETWORK INC",
        ),
        (36, 48, 60),
        (3_000, 25_000),
        0.11,
    ),
}

# Tradeline `status` (and `enhancedPaymentData.enhancedPaymentStatus` for open accounts).
STATUS_CURRENT = "11"  # open, paid as agreed
STATUS_CLOSED_REVOLVING = "12"  # revolving account closed with a zero balance
STATUS_PAID_INSTALLMENT = "13"  # installment loan paid in full
STATUS_30_DAYS_LATE = "71"  # 30-59 days past due

# enhancedPaymentData.enhancedAccountCondition
CONDITION_OPEN = "A1"
CONDITION_CLOSED = "A2"

# Payment history, one character a month, most recent first.
HISTORY_CURRENT = "C"  # current, with a balance
HISTORY_ZERO_BALANCE = "0"  # current, nothing owed that month (revolving)
HISTORY_30_DAYS = "1"  # 30 days past due
HISTORY_60_DAYS = "2"
LATE_MARKS = (HISTORY_30_DAYS, HISTORY_60_DAYS)

# VantageScore 3.0 reason codes the emulator chooses from (plain-language text: the shared CSV).
SCORE_FACTORS: dict[str, str] = {
    "06": "You have too many accounts that were opened recently",
    "09": "The worst payment status on your accounts is delinquent or derogatory",
    "12": "The date that you opened your oldest account is too recent",
    "13": "Your most recently opened account is too new",
    "14": "Lack of sufficient credit history",
    "15": "Newest delinquent/derogatory payment status on your accts is too recent",
    "16": "The total of all balances on your open accounts is too high",
    "29": "Too many of your open bankcard or revolving accounts have a balance",
    "30": "Too few of your bankcard or other revolving accounts have high limits",
    "32": "Balances on bankcard/revolving accts too high compared to credit limits",
    "36": "Your largest credit limit on open bankcard or revolving accts is too low",
    "40": "The date you opened your oldest bankcard or revolving acct is too recent",
    "64": "No open first mortgage accounts in your credit file",
    "78": "Balances on installment accts are too high compared to their loan amounts",
    "81": "No open installment accounts in your credit file",
    "84": "The number of inquiries was also a factor, but effect was not significant",
    "85": "You have too many inquiries on your credit report.",
    "97": "You have too few credit accounts",
    "98": "There is a bankruptcy on your credit report",
}


def subscriber_code(lender: str) -> str:
    """A stable seven-digit Experian subscriber code for a lender name."""
    return str(1_000_000 + int(hashlib.sha256(lender.encode()).hexdigest(), 16) % 9_000_000)
