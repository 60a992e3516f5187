"""The transactions changes feed: what changed in a person's transactions since a change number.

Database triggers (finance/migrations/0013_changes_feed.py) number every write to a person's
transactions, whoever makes it: Plaid's sync (its bulk upsert and its `removed`), rules' raw UPDATEs,
edits on the page or through the API, CSV imports, staff deletes, cascades. Nothing in Python has to
remember to record a change.

- An insert or a real change of a row gives it the person's next change number (`change_number`);
  an insert also keeps it as `created_change_number`. An update that leaves every column but the
  bookkeeping ones as they were (Plaid re-sending an unchanged row through its upsert) keeps the
  row's number and its `updated_at`.
- A delete writes a tombstone, a `TransactionRemoval` with the next number.
- Numbers are per person and follow commit order (TransactionChangeCounter says how and why), so a
  reader that has seen number n will never later see a smaller one commit. They may have gaps (an
  upserted row that conflicts uses one up in its insert half); a reader never relies on them being
  dense.

A row's latest change is its only one: a row changed twice since a cursor appears once, with its
current values, and a row inserted and deleted since the cursor appears only in `removed`.
"""

from __future__ import annotations

from dataclasses import dataclass

from finance.banking.models import Transaction, TransactionChangeCounter, TransactionRemoval


def change_version(*, user_id: int) -> int:
    """The person's latest transaction change number: it grows whenever any of their transactions is
    inserted, changed or deleted, and is 0 before their first one. It can also grow when nothing shows
    (Plaid re-sending an unchanged row), never stay put when something changed. Read it in the
    person's tenant context: the counter is under row-level security."""
    latest = (
        TransactionChangeCounter.objects.filter(user_id=user_id).values_list("last_change", flat=True).first()
    )
    return latest or 0


@dataclass(frozen=True)
class TransactionChanges:
    added: list[Transaction]
    modified: list[Transaction]
    removed: list[TransactionRemoval]
    next_change: int  # where the next page starts: every change up to it has been given
    has_more: bool


def transaction_changes(*, user_id: int, since: int, count: int) -> TransactionChanges:
    """The person's first `count` changes after change number `since`, oldest first.

    The rows and the tombstones are two statements, each with its own snapshot under READ COMMITTED,
    so both stop at the latest number committed before either ran: a writer committing between them
    could otherwise show its tombstone while the row it changed in the same transaction was missed,
    and the next page would start past it. A row changed again after that bound has left the page,
    and comes back on a later one with its new number.
    """
    bound = change_version(user_id=user_id)
    window = {"change_number__gt": since, "change_number__lte": bound}
    rows = list(Transaction.objects.for_user(user_id).filter(**window).order_by("change_number")[: count + 1])
    removals = list(
        TransactionRemoval.objects.for_user(user_id).filter(**window).order_by("change_number")[: count + 1]
    )
    changes: list[Transaction | TransactionRemoval] = sorted(
        [*rows, *removals], key=lambda change: change.change_number
    )
    page, has_more = changes[:count], len(changes) > count
    return TransactionChanges(
        added=[c for c in page if isinstance(c, Transaction) and c.created_change_number > since],
        modified=[c for c in page if isinstance(c, Transaction) and c.created_change_number <= since],
        removed=[c for c in page if isinstance(c, TransactionRemoval)],
        next_change=page[-1].change_number if has_more else max(bound, since),
        has_more=has_more,
    )
