from finance.models.alerts import Alert
from finance.models.banking import Account, BalanceSnapshot, CardLiability, PlaidItem, Transaction
from finance.models.credit import CreditProfile, CreditReport, CreditScore, Inquiry, ScoreFactor, Tradeline
from finance.models.imports import ImportJob
from finance.models.onboarding import OnboardingProgress
from finance.models.rules import TransactionRule

__all__ = [
    "Account",
    "Alert",
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
    "TransactionRule",
]
