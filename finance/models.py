"""Django loads an app's models from `finance.models`; each package keeps its own."""

from finance.banking.models import (
    Account,
    BalanceSnapshot,
    CardLiability,
    PlaidItem,
    Transaction,
    TransactionChangeCounter,
    TransactionRemoval,
)
from finance.credit.models import CreditProfile, CreditReport, CreditScore, Inquiry, ScoreFactor, Tradeline
from finance.imports.models import ImportJob
from finance.insights.models import TransactionRule
from finance.onboarding.models import OnboardingProgress

__all__ = [
    "Account",
    "BalanceSnapshot",
    "CardLiability",
    "CreditProfile",
    "CreditReport",
    "CreditScore",
    "ImportJob",
    "Inquiry",
    "OnboardingProgress",
    "PlaidItem",
    "ScoreFactor",
    "Tradeline",
    "Transaction",
    "TransactionChangeCounter",
    "TransactionRemoval",
    "TransactionRule",
]
