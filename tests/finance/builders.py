"""Small builders for the page tests: accounts and transactions with exactly the numbers a test states.

Call them inside `tenant_context(user.pk)`: the database refuses rows for anyone else.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from finance.insights.categories import primary_of
from finance.models import Account, CardLiability, Transaction

_ids = itertools.count(1)


def account(user_id: int, *, type: str = "depository", balance: int | None = 0, **fields: Any) -> Account:
    number = next(_ids)
    values: dict[str, Any] = {
        "external_id": f"acc-{number}",
        "name": fields.pop("name", f"{type.title()} {number}"),
        "institution_name": "First Platypus Bank",
        "mask": f"{number % 10000:04d}",
        "type": type,
        "subtype": {"depository": "checking", "credit": "credit card"}.get(type, ""),
        "current_balance_minor": balance,
        "currency": "USD",
    }
    values.update(fields)
    return Account.objects.create(user_id=user_id, **values)


def txn(
    user_id: int,
    on: Account,
    *,
    amount: int,
    day: date,
    category: str = "FOOD_AND_DRINK_COFFEE",
    name: str = "Corner Cafe",
    merchant: str = "",
    pending: bool = False,
    **fields: Any,
) -> Transaction:
    """A transaction with Plaid's sign (positive = money out) and a PFC detailed code ("" = none)."""
    return Transaction.objects.create(
        user_id=user_id,
        account=on,
        plaid_transaction_id=fields.pop("plaid_transaction_id", f"txn-{next(_ids)}"),
        amount_minor=amount,
        currency=fields.pop("currency", on.currency),
        date=day,
        name=name,
        merchant_name=merchant,
        category_primary=(primary_of(category) or "") if category else "",
        category_detailed=category,
        pending=pending,
        **fields,
    )


def liability(user_id: int, on: Account, **fields: Any) -> CardLiability:
    return CardLiability.objects.create(user_id=user_id, account=on, currency=on.currency, **fields)
