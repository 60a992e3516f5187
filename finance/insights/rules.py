"""Recategorising transactions, and the rules that keep doing it for future syncs and imports.

Precedence: a category set by hand (`category_source="user"`) beats a rule, which beats the bank's
(Plaid's) category. Plaid's upsert never writes the `user_category_*` columns, so neither survives
being clobbered by a sync; `rules_apply` runs after every ingest to categorise the new rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from accounts.audit import audit_record
from finance.insights.categories import is_detailed, primary_of
from finance.insights.dashboard import dashboard_invalidate
from finance.models import Transaction, TransactionRule

# One statement: every rule of the person joined to the transactions it matches, skipping rows set by
# hand and rows that already say the same thing (no pointless writes on a re-sync).
APPLY_SQL = """
UPDATE finance_transaction AS t
SET user_category_primary = r.category_primary,
    user_category_detailed = r.category_detailed,
    category_source = 'rule'
FROM finance_transactionrule AS r
WHERE t.user_id = %(user_id)s AND r.user_id = %(user_id)s
  AND r.match_key = t.match_key
  AND t.category_source <> 'user'
  AND (t.category_source <> 'rule' OR t.user_category_detailed <> r.category_detailed)
"""


class InvalidCategory(ValueError):
    pass


def rules_apply(*, user_id: int, plaid_ids: Sequence[str] | None = None) -> int:
    """Apply the person's rules (to the given transactions only, when `plaid_ids` is given); returns
    how many rows changed. Runs in the caller's transaction and tenant context."""
    if plaid_ids is not None and not plaid_ids:
        return 0
    if not TransactionRule.objects.for_user(user_id).exists():
        return 0
    sql, params = APPLY_SQL, dict[str, Any](user_id=user_id)
    if plaid_ids is not None:
        sql += " AND t.plaid_transaction_id = ANY(%(plaid_ids)s)"
        params["plaid_ids"] = list(plaid_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


@dataclass(frozen=True)
class Recategorised:
    transaction: Transaction
    similar_updated: int = 0
    rule: TransactionRule | None = None


def transaction_recategorise(
    *, user_id: int, transaction_pk: int, detailed: str, apply_to_similar: bool = False
) -> Recategorised:
    """Put one transaction in the category `detailed` (a PFC detailed code; "" goes back to the bank's
    category). With `apply_to_similar`, also every transaction with the same merchant or description,
    now and in future syncs and imports, through a TransactionRule.

    Raises Transaction.DoesNotExist for another person's or a missing transaction, InvalidCategory for
    an unknown code.
    """
    if detailed and not is_detailed(detailed):
        raise InvalidCategory(f"unknown category {detailed!r}")
    primary = (primary_of(detailed) or "") if detailed else ""
    with transaction.atomic():
        row = Transaction.objects.for_user(user_id).select_for_update().get(pk=transaction_pk)
        Transaction.objects.filter(pk=row.pk, user_id=user_id).update(
            user_category_primary=primary,
            user_category_detailed=detailed,
            category_source="user" if detailed else "",
        )
        rule = None
        similar = 0
        if apply_to_similar and detailed and row.match_key:
            rule, _ = TransactionRule.objects.update_or_create(
                user_id=user_id,
                match_key=row.match_key,
                defaults={
                    "label": row.merchant_name or row.name,
                    "category_primary": primary,
                    "category_detailed": detailed,
                },
            )
            # An explicit "all like this" also overrides earlier one-off choices for the same merchant.
            similar = (
                Transaction.objects.for_user(user_id)
                .filter(match_key=row.match_key)
                .exclude(pk=row.pk)
                .update(
                    user_category_primary=primary, user_category_detailed=detailed, category_source="rule"
                )
            )
            audit_record(
                "finance.rule_saved",
                user_id=user_id,
                details={"rule": rule.pk, "category": detailed, "updated": similar},
            )
        transaction.on_commit(lambda: dashboard_invalidate(user_id=user_id))
    row.refresh_from_db()
    return Recategorised(transaction=row, similar_updated=similar, rule=rule)


def rule_delete(*, user_id: int, rule_pk: int) -> int:
    """Delete a rule and give the transactions it categorised their bank's category back; returns how
    many went back. Raises TransactionRule.DoesNotExist for another person's or a missing rule."""
    with transaction.atomic():
        rule = TransactionRule.objects.for_user(user_id).get(pk=rule_pk)
        reverted = (
            Transaction.objects.for_user(user_id)
            .filter(match_key=rule.match_key, category_source="rule")
            .update(user_category_primary="", user_category_detailed="", category_source="")
        )
        rule.delete()
        audit_record("finance.rule_deleted", user_id=user_id, details={"rule": rule_pk, "reverted": reverted})
        transaction.on_commit(lambda: dashboard_invalidate(user_id=user_id))
    return reverted
