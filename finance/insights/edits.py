"""A person's own edits to their accounts and transactions: names, notes, hidden flags and categories.

The pages and the REST API both edit through these services, so either sees what the other wrote.
Plaid's updates never write the columns edited here (`custom_name`, `hidden`, `notes`, the
`user_category_*` ones), so a sync cannot undo an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from accounts.audit import audit_record
from finance.insights.dashboard import dashboard_invalidate
from finance.insights.rules import Recategorised, transaction_category_set, transactions_changed
from finance.models import Account, Transaction


@dataclass(frozen=True)
class Edited:
    transaction: Transaction
    recategorised: Recategorised | None = None  # when the category was part of the edit


def transaction_edit(
    *,
    user_id: int,
    transaction_pk: int,
    category: str | None = None,
    apply_to_similar: bool = False,
    notes: str | None = None,
    hidden: bool | None = None,
) -> Edited:
    """Change what is given (None leaves a field as it is): the category (a taxonomy code, "" for the
    bank's; with `apply_to_similar` through a rule, as `transaction_recategorise` does), the notes, and
    whether the transaction is hidden from spending totals.

    Raises Transaction.DoesNotExist for another person's or a missing transaction, InvalidCategory for
    an unknown code.
    """
    with transaction.atomic():
        row = Transaction.objects.for_user(user_id).select_for_update().get(pk=transaction_pk)
        recategorised = None
        changed: list[int] = []
        if category is not None:
            recategorised = transaction_category_set(
                user_id=user_id, row=row, category=category, apply_to_similar=apply_to_similar
            )
            changed += [row.pk, *recategorised.similar_ids]
        changes: dict[str, object] = {}
        if notes is not None and notes != row.notes:
            changes["notes"] = notes
        if hidden is not None and hidden != row.hidden:
            changes["hidden"] = hidden
        if changes:
            Transaction.objects.filter(pk=row.pk, user_id=user_id).update(**changes)
            audit_record(
                "finance.transaction_edited",
                user_id=user_id,
                details={"transaction": row.pk, "fields": sorted(changes)},
            )
            changed.append(row.pk)
        transactions_changed(user_id=user_id, transaction_ids=changed)
    row.refresh_from_db()
    return Edited(row, recategorised)


def account_edit(
    *, user_id: int, account_pk: int, custom_name: str | None = None, hidden: bool | None = None
) -> Account:
    """Rename an account (an empty name goes back to the bank's) or hide it; None leaves a field as it
    is. Raises Account.DoesNotExist for another person's or a missing account."""
    with transaction.atomic():
        account = Account.objects.for_user(user_id).select_for_update().get(pk=account_pk)
        changes: dict[str, object] = {}
        if custom_name is not None and custom_name.strip() != account.custom_name:
            changes["custom_name"] = custom_name.strip()
        if hidden is not None and hidden != account.hidden:
            changes["hidden"] = hidden
        if changes:
            for name, value in changes.items():
                setattr(account, name, value)
            account.save(update_fields=[*changes, "updated_at"])
            audit_record(
                "finance.account_edited",
                user_id=user_id,
                details={"account": account.pk, "fields": sorted(changes)},
            )
            # The dashboard names the cards it lists.
            transaction.on_commit(lambda: dashboard_invalidate(user_id=user_id))
    return account
