from __future__ import annotations

from datetime import date

from django.db.models import Prefetch, Q, QuerySet

from finance.models import Account, PlaidItem, Transaction


def accounts_for(*, user_id: int) -> QuerySet[Account]:
    return Account.objects.for_user(user_id)


def items_for(*, user_id: int) -> QuerySet[PlaidItem]:
    """Bank connections with their accounts, as the connections page lists them."""
    accounts = Account.objects.for_user(user_id).order_by("name", "id")
    return (
        PlaidItem.objects.for_user(user_id)
        .order_by("institution_name", "id")
        .prefetch_related(Prefetch("accounts", queryset=accounts))
    )


def transactions_page(
    *, user_id: int, before: tuple[date, int] | None = None, limit: int = 50
) -> list[Transaction]:
    """Newest first, keyset-paginated on (date, id): page N costs the same as page 1."""
    rows = Transaction.objects.for_user(user_id).select_related("account").order_by("-date", "-id")
    if before is not None:
        rows = rows.filter(Q(date__lt=before[0]) | Q(date=before[0], id__lt=before[1]))
    return list(rows[:limit])
