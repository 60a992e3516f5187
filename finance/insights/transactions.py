"""Reading transactions: filters, full-text search, sorting and keyset pagination (no OFFSET: page 200
costs what page 1 costs). Amounts are compared as integers in minor units (DESIGN §4: numeric and
ILIKE comparisons are not leakproof, so under RLS they cannot use an index).

The database keeps Plaid's sign (positive = money out); everything a person or a program reads (the
page, the CSV export, the API) shows money out as negative, through `shown_amount_minor`."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.contrib.postgres.search import SearchQuery
from django.db.models import Count, Q, QuerySet, Sum

from finance.insights.categories import is_detailed
from finance.models import Transaction

PAGE_SIZE = 50
UNCATEGORISED = "none"  # the category filter's value for "no category"

# sort name → (key field, descending)
SORTS: dict[str, tuple[str, bool]] = {
    "-date": ("date", True),
    "date": ("date", False),
    "-amount": ("amount_minor", True),  # biggest money out first (Plaid's sign: out is positive)
    "amount": ("amount_minor", False),  # biggest money in first
}
SORT_LABELS = {
    "-date": "Newest first",
    "date": "Oldest first",
    "-amount": "Largest spend first",
    "amount": "Largest income first",
}


@dataclass(frozen=True)
class TransactionFilters:
    start: date | None = None
    end: date | None = None
    account_id: int | None = None
    category: str = ""  # a PFC primary or detailed code, UNCATEGORISED, or "" for any
    min_minor: int | None = None  # size of the amount, in or out
    max_minor: int | None = None
    flow: str = ""  # "out", "in" or "" for both
    pending: str = ""  # "yes", "no" or "" for both
    query: str = ""
    sort: str = "-date"


class BadCursor(ValueError):
    pass


def shown_amount_minor(row: Transaction) -> int:
    """The amount as the app shows it: money out negative, money in positive (the stored amount has
    Plaid's opposite sign)."""
    return -row.amount_minor


def _amount_q(filters: TransactionFilters) -> Q:
    low, high = filters.min_minor, filters.max_minor
    out_q, in_q = Q(amount_minor__gt=0), Q(amount_minor__lt=0)
    if low is not None:
        out_q &= Q(amount_minor__gte=low)
        in_q &= Q(amount_minor__lte=-low)
    if high is not None:
        out_q &= Q(amount_minor__lte=high)
        in_q &= Q(amount_minor__gte=-high)
    if filters.flow == "out":
        return out_q
    if filters.flow == "in":
        return in_q
    if low is None and high is None:
        return Q()
    either = out_q | in_q
    return either | Q(amount_minor=0) if not low else either


def transactions_matching(rows: QuerySet[Transaction], filters: TransactionFilters) -> QuerySet[Transaction]:
    """`rows` narrowed to those the filters match (the ordering is the caller's)."""
    if filters.start:
        rows = rows.filter(date__gte=filters.start)
    if filters.end:
        rows = rows.filter(date__lte=filters.end)
    if filters.account_id is not None:
        rows = rows.filter(account_id=filters.account_id)
    if filters.category == UNCATEGORISED:
        rows = rows.filter(effective_category_primary="")
    elif is_detailed(filters.category):
        rows = rows.filter(effective_category_detailed=filters.category)
    elif filters.category:
        rows = rows.filter(effective_category_primary=filters.category)
    if filters.pending:
        rows = rows.filter(pending=filters.pending == "yes")
    rows = rows.filter(_amount_q(filters))
    if filters.query.strip():
        rows = rows.filter(
            search_vector=SearchQuery(filters.query, search_type="websearch", config="english")
        )
    return rows


def transactions_filtered(*, user_id: int, filters: TransactionFilters) -> QuerySet[Transaction]:
    return transactions_matching(Transaction.objects.for_user(user_id), filters)


def _ordered(rows: QuerySet[Transaction], sort: str) -> QuerySet[Transaction]:
    field, descending = SORTS.get(sort, SORTS["-date"])
    prefix = "-" if descending else ""
    return rows.order_by(f"{prefix}{field}", f"{prefix}id")


def cursor_of(row: Transaction, sort: str) -> str:
    field, _ = SORTS.get(sort, SORTS["-date"])
    value = row.date.isoformat() if field == "date" else str(row.amount_minor)
    return f"{value}_{row.pk}"


def _after(rows: QuerySet[Transaction], sort: str, cursor: str) -> QuerySet[Transaction]:
    field, descending = SORTS.get(sort, SORTS["-date"])
    try:
        raw_value, raw_pk = cursor.rsplit("_", 1)
        pk = int(raw_pk)
        value: date | int = date.fromisoformat(raw_value) if field == "date" else int(raw_value)
    except ValueError as error:
        raise BadCursor(cursor) from error
    beyond = "lt" if descending else "gt"
    return rows.filter(Q(**{f"{field}__{beyond}": value}) | Q(**{field: value, f"id__{beyond}": pk}))


@dataclass(frozen=True)
class TransactionPage:
    rows: list[Transaction]
    next_cursor: str | None


def transactions_page(
    *, user_id: int, filters: TransactionFilters, cursor: str | None = None, limit: int = PAGE_SIZE
) -> TransactionPage:
    """One page in the chosen order, after `cursor` (from the previous page's `next_cursor`)."""
    rows = _ordered(transactions_filtered(user_id=user_id, filters=filters), filters.sort)
    if cursor:
        rows = _after(rows, filters.sort, cursor)
    found = list(rows.select_related("account")[: limit + 1])
    page = found[:limit]
    more = len(found) > limit
    return TransactionPage(page, cursor_of(page[-1], filters.sort) if more and page else None)


@dataclass(frozen=True)
class Totals:
    count: int
    out_minor: int  # money out, positive
    in_minor: int  # money in, positive


def transactions_totals(*, user_id: int, filters: TransactionFilters, currency: str) -> Totals:
    """What the filtered transactions add up to, in one currency: every match is counted, but only
    posted ones the person did not hide count towards money (as on the dashboard)."""
    counted = Q(pending=False, hidden=False)
    result = (
        transactions_filtered(user_id=user_id, filters=filters)
        .filter(currency=currency)
        .aggregate(
            count=Count("id"),
            out=Sum("amount_minor", filter=counted & Q(amount_minor__gt=0)),
            into=Sum("amount_minor", filter=counted & Q(amount_minor__lt=0)),
        )
    )
    return Totals(result["count"], result["out"] or 0, -(result["into"] or 0))


def transactions_for_export(*, user_id: int, filters: TransactionFilters) -> Iterator[Transaction]:
    """Every filtered transaction in order, streamed from the database in chunks. Iterate it inside the
    request's (or a tenant task's) transaction: outside it RLS shows no rows."""
    rows = _ordered(transactions_filtered(user_id=user_id, filters=filters), filters.sort)
    return rows.select_related("account").iterator(chunk_size=2000)
