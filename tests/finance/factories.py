"""Finance rows for tests. Create them inside tenant_context(user.pk): the database rejects rows for
anyone else."""

from __future__ import annotations

import factory

from finance.models import Account, BalanceSnapshot, CardLiability, PlaidItem, Transaction


class AccountFactory(factory.django.DjangoModelFactory[Account]):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"acc-{n}")
    institution_name = "First Platypus Bank"
    name = factory.Sequence(lambda n: f"Checking {n}")
    mask = factory.Sequence(lambda n: f"{n % 10000:04d}")
    type = Account.Type.DEPOSITORY
    subtype = "checking"
    current_balance_minor = 125_000
    available_balance_minor = 120_000
    currency = "USD"


class ItemFactory(factory.django.DjangoModelFactory[PlaidItem]):
    class Meta:
        model = PlaidItem

    item_id = factory.Sequence(lambda n: f"item-{n}")
    institution_name = "First Platypus Bank"
    access_token_encrypted = "not-a-real-token"


class CardFactory(factory.django.DjangoModelFactory[Account]):
    class Meta:
        model = Account

    external_id = factory.Sequence(lambda n: f"card-{n}")
    institution_name = "First Platypus Bank"
    name = factory.Sequence(lambda n: f"Platinum Card {n}")
    mask = factory.Sequence(lambda n: f"{n % 10000:04d}")
    type = Account.Type.CREDIT
    subtype = "credit card"
    credit_limit_minor = 500_000
    current_balance_minor = 0
    currency = "USD"


class SnapshotFactory(factory.django.DjangoModelFactory[BalanceSnapshot]):
    class Meta:
        model = BalanceSnapshot

    user = factory.SelfAttribute("account.user")
    current_minor = 0
    limit_minor = factory.SelfAttribute("account.credit_limit_minor")
    currency = "USD"


class LiabilityFactory(factory.django.DjangoModelFactory[CardLiability]):
    class Meta:
        model = CardLiability

    user = factory.SelfAttribute("account.user")
    last_statement_balance_minor = 42_000
    minimum_payment_minor = 2_500
    currency = "USD"


class TransactionFactory(factory.django.DjangoModelFactory[Transaction]):
    class Meta:
        model = Transaction

    user = factory.SelfAttribute("account.user")
    plaid_transaction_id = factory.Sequence(lambda n: f"txn-{n}")
    amount_minor = 2_000
    currency = "USD"
    name = factory.Sequence(lambda n: f"Coffee shop {n % 7}")
    merchant_name = factory.SelfAttribute("name")
    category_primary = "FOOD_AND_DRINK"
