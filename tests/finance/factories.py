from __future__ import annotations

import factory

from finance.models import Account


class AccountFactory(factory.django.DjangoModelFactory[Account]):
    """Create inside tenant_context(user.pk): the database rejects rows for anyone else."""

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
