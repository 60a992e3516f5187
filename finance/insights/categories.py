"""Plaid's personal-finance categories (PFC): their names, and what counts as spending, income or a transfer.

The taxonomy (primary → detailed codes, v1 and v2 together) is
`finance/insights/data/plaid-personal-finance-categories.csv`.
A transaction's category is the person's own choice when they made one (by hand or through a rule),
else Plaid's: `Transaction.effective_category_primary` / `_detailed`.

How money is counted everywhere numbers are shown (dashboard, summaries), in `spending_q` and `income_q`:

* Only posted transactions (`pending` is false) on cash (depository) and credit-card accounts, and not
  the ones the person hid (`hidden`). Loan and investment accounts hold the other side of payments
  already counted on a checking account.
* **Spending** is the sum of `amount_minor` (Plaid's sign: positive = money out) over the SPENDING
  primaries: food and drink, shopping (general merchandise), home improvement, medical, personal care,
  general services, government and non-profit, transportation, travel, rent and utilities,
  entertainment, bank fees, and loan payments *except* credit-card payments. The sum is signed, so a
  refund in a spending category (a negative amount) reduces that category's spending.
* **Income** is minus the sum of `amount_minor` over the INCOME primary (so a reversed paycheck
  reduces income).
* **Transfers** count as neither: TRANSFER_IN, TRANSFER_OUT (moves between the person's own accounts,
  to savings, to apps such as Venmo, ATM withdrawals), LOAN_DISBURSEMENTS (borrowed money is not
  income) and LOAN_PAYMENTS_CREDIT_CARD_PAYMENT (paying a card moves money already counted when the
  card was used).
* **Uncategorised** (no category, e.g. imported from a CSV file) and OTHER are split by direction:
  money out is spending, money in is income.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.db.models import Q

TAXONOMY_CSV = Path(__file__).resolve().parent / "data" / "plaid-personal-finance-categories.csv"

SPENDING_PRIMARIES = frozenset(
    {
        "BANK_FEES",
        "ENTERTAINMENT",
        "FOOD_AND_DRINK",
        "GENERAL_MERCHANDISE",
        "GENERAL_SERVICES",
        "GOVERNMENT_AND_NON_PROFIT",
        "HOME_IMPROVEMENT",
        "LOAN_PAYMENTS",
        "MEDICAL",
        "PERSONAL_CARE",
        "RENT_AND_UTILITIES",
        "TRANSPORTATION",
        "TRAVEL",
    }
)
INCOME_PRIMARIES = frozenset({"INCOME"})
TRANSFER_PRIMARIES = frozenset({"TRANSFER_IN", "TRANSFER_OUT", "LOAN_DISBURSEMENTS"})
# Detailed codes under a spending primary that are really transfers.
TRANSFER_DETAILED = frozenset({"LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"})
# Counted by direction: out = spending, in = income.
BY_DIRECTION_PRIMARIES = frozenset({"OTHER", ""})
# Account types whose transactions are counted.
COUNTED_ACCOUNT_TYPES = ("depository", "credit")
# v1 codes that v2 renamed: shown when a transaction has them, not offered in the picker.
LEGACY_DETAILED = frozenset({"INCOME_WAGES", "INCOME_OTHER_INCOME", "TRANSFER_IN_CASH_ADVANCES_AND_LOANS"})

PRIMARY_LABELS_OVERRIDE = {"GENERAL_MERCHANDISE": "Shopping", "": "Uncategorised"}
UNCATEGORISED = ""


ACRONYMS = {"tv": "TV", "atm": "ATM", "ewa": "EWA", "bnpl": "BNPL"}


def _words(code: str) -> str:
    words = [ACRONYMS.get(word, word) for word in code.replace("_", " ").lower().split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Category:
    primary: str
    label: str
    detailed: tuple[tuple[str, str], ...]  # (code, label), for the picker


@cache
def taxonomy() -> tuple[Category, ...]:
    """Every primary with its detailed codes, in the file's order."""
    by_primary: dict[str, list[tuple[str, str]]] = {}
    with TAXONOMY_CSV.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        for row in rows:
            primary, detailed = row["primary"], row["detailed"]
            by_primary.setdefault(primary, [])
            if detailed not in LEGACY_DETAILED:
                by_primary[primary].append((detailed, _words(detailed.removeprefix(primary + "_"))))
    return tuple(
        Category(primary, primary_label(primary), tuple(detailed)) for primary, detailed in by_primary.items()
    )


@cache
def _detailed_index() -> dict[str, str]:
    return {code: category.primary for category in taxonomy() for code, _ in category.detailed}


def primary_label(primary: str) -> str:
    return PRIMARY_LABELS_OVERRIDE.get(primary) or _words(primary)


def detailed_label(detailed: str) -> str:
    if not detailed:
        return ""
    primary = primary_of(detailed) or ""
    return _words(detailed.removeprefix(primary + "_")) if primary else _words(detailed)


def primary_of(detailed: str) -> str | None:
    """The primary a detailed code belongs to (None for codes outside the taxonomy)."""
    found = _detailed_index().get(detailed)
    if found is None and detailed in LEGACY_DETAILED:
        return detailed.split("_", 1)[0]
    return found


def is_detailed(code: str) -> bool:
    return code in _detailed_index()


@cache
def _primaries() -> frozenset[str]:
    return frozenset(category.primary for category in taxonomy())


def is_primary(code: str) -> bool:
    return code in _primaries()


def category_split(code: str) -> tuple[str, str]:
    """A taxonomy code as (primary, detailed): a detailed code with its primary, or a primary alone
    (detailed ""). Raises ValueError for a code outside the taxonomy."""
    if is_detailed(code):
        return _detailed_index()[code], code
    if is_primary(code):
        return code, ""
    raise ValueError(f"unknown category {code!r}")


def category_label(primary: str, detailed: str) -> str:
    """How a transaction's category reads on every page: the detailed name, else the primary's
    ("Coffee", "Food and drink", "Uncategorised")."""
    return detailed_label(detailed) or primary_label(primary)


def primary_choices() -> list[tuple[str, str]]:
    return [(category.primary, category.label) for category in taxonomy()]


# --- how money is counted (see the module docstring) ------------------------------------------------
def counted_q(prefix: str = "") -> Q:
    """Posted transactions on cash and card accounts that the person did not hide."""
    return Q(
        **{
            f"{prefix}pending": False,
            f"{prefix}hidden": False,
            f"{prefix}account__type__in": COUNTED_ACCOUNT_TYPES,
        }
    )


def spending_q(prefix: str = "") -> Q:
    primary, detailed, amount = (
        f"{prefix}effective_category_primary",
        f"{prefix}effective_category_detailed",
        f"{prefix}amount_minor",
    )
    by_category = Q(**{f"{primary}__in": SPENDING_PRIMARIES}) & ~Q(**{f"{detailed}__in": TRANSFER_DETAILED})
    by_direction = Q(**{f"{primary}__in": BY_DIRECTION_PRIMARIES, f"{amount}__gt": 0})
    return counted_q(prefix) & (by_category | by_direction)


def income_q(prefix: str = "") -> Q:
    primary, amount = f"{prefix}effective_category_primary", f"{prefix}amount_minor"
    by_category = Q(**{f"{primary}__in": INCOME_PRIMARIES})
    by_direction = Q(**{f"{primary}__in": BY_DIRECTION_PRIMARIES, f"{amount}__lt": 0})
    return counted_q(prefix) & (by_category | by_direction)


def flow_kind(primary: str, detailed: str, amount_minor: int) -> str:
    """ "spending", "income" or "transfer" for one transaction's category (Python twin of the Qs above,
    for labelling rows; aggregates use the Qs)."""
    if detailed in TRANSFER_DETAILED or primary in TRANSFER_PRIMARIES:
        return "transfer"
    if primary in SPENDING_PRIMARIES:
        return "spending"
    if primary in INCOME_PRIMARIES:
        return "income"
    return "spending" if amount_minor > 0 else "income"
