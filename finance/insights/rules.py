"""Recategorising transactions, and the rules that keep doing it for future syncs and imports.

Precedence: a category set by hand (`category_source="user"`) beats a rule, which beats the bank's
(Plaid's) category. Plaid's upsert never writes the `user_category_*` columns, so neither survives
being clobbered by a sync; `rules_apply` runs after every ingest to categorise the new rows.

A category is a code of the taxonomy: a detailed one (its primary follows) or a primary alone.
Every change a person makes here ends in `transactions_changed`: the dashboard forgets its numbers
and their webhooks hear which transactions changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count

from accounts.audit import audit_record
from finance.insights.categories import category_split
from finance.insights.dashboard import dashboard_invalidate
from finance.models import Transaction, TransactionRule
from notifications.webhooks import webhook_event_emit

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
  AND (
    t.category_source <> 'rule'
    OR t.user_category_primary <> r.category_primary
    OR t.user_category_detailed <> r.category_detailed
  )
"""
# How `Transaction.match_key` is made from a merchant or description (the generated column's expression).
MATCH_KEY_SQL = "SELECT trim(regexp_replace(lower(%s), '[^a-z]+', ' ', 'g'))"


class InvalidCategory(ValueError):
    pass


class RuleExists(ValueError):
    """The person already has a rule for these transactions."""

    def __init__(self, rule: TransactionRule):
        super().__init__(f"a rule for {rule.match_key!r} exists")
        self.rule = rule


class InvalidMatch(ValueError):
    """A text with no letters matches nothing."""


def _category(code: str) -> tuple[str, str]:
    try:
        return category_split(code)
    except ValueError:
        raise InvalidCategory(f"unknown category {code!r}") from None


def transactions_changed(*, user_id: int, transaction_ids: Sequence[int]) -> None:
    """What follows a person's change to their transactions, inside its database transaction: the
    dashboard forgets its numbers once it commits, and their webhooks get `transactions.changed`."""
    if not transaction_ids:
        return
    transaction.on_commit(lambda: dashboard_invalidate(user_id=user_id))
    webhook_event_emit(
        user_id=user_id, event="transactions.changed", data={"transaction_ids": sorted(set(transaction_ids))}
    )


def _rules_run(*, user_id: int, extra_sql: str = "", extra: dict[str, Any] | None = None) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(APPLY_SQL + extra_sql + " RETURNING t.id", {"user_id": user_id, **(extra or {})})
        return [row[0] for row in cursor.fetchall()]


def rules_apply(*, user_id: int, plaid_ids: Sequence[str] | None = None) -> int:
    """Apply the person's rules (to the given transactions only, when `plaid_ids` is given); returns
    how many rows changed. Runs in the caller's transaction and tenant context; the ingest that calls
    it reports its own changes."""
    if plaid_ids is not None and not plaid_ids:
        return 0
    if not TransactionRule.objects.for_user(user_id).exists():
        return 0
    if plaid_ids is None:
        return len(_rules_run(user_id=user_id))
    return len(
        _rules_run(
            user_id=user_id,
            extra_sql=" AND t.plaid_transaction_id = ANY(%(plaid_ids)s)",
            extra={"plaid_ids": list(plaid_ids)},
        )
    )


@dataclass(frozen=True)
class Recategorised:
    transaction: Transaction
    similar_updated: int = 0
    rule: TransactionRule | None = None
    similar_ids: tuple[int, ...] = ()


def transaction_category_set(
    *, user_id: int, row: Transaction, category: str, apply_to_similar: bool = False
) -> Recategorised:
    """The work of `transaction_recategorise` on a row the caller has locked, inside its database
    transaction; the caller reports the change (`transactions_changed`) with anything else it changed.
    Raises InvalidCategory for an unknown code."""
    primary, detailed = _category(category) if category else ("", "")
    Transaction.objects.filter(pk=row.pk, user_id=user_id).update(
        user_category_primary=primary,
        user_category_detailed=detailed,
        category_source="user" if category else "",
    )
    rule = None
    similar: list[int] = []
    if apply_to_similar and category and row.match_key:
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
        others = Transaction.objects.for_user(user_id).filter(match_key=row.match_key).exclude(pk=row.pk)
        similar = list(others.values_list("pk", flat=True))
        Transaction.objects.for_user(user_id).filter(pk__in=similar).update(
            user_category_primary=primary, user_category_detailed=detailed, category_source="rule"
        )
        audit_record(
            "finance.rule_saved",
            user_id=user_id,
            details={"rule": rule.pk, "category": category, "updated": len(similar)},
        )
    row.refresh_from_db()
    return Recategorised(transaction=row, similar_updated=len(similar), rule=rule, similar_ids=tuple(similar))


def transaction_recategorise(
    *, user_id: int, transaction_pk: int, category: str, apply_to_similar: bool = False
) -> Recategorised:
    """Put one transaction in `category` (a taxonomy code; "" goes back to the bank's category). With
    `apply_to_similar`, also every transaction with the same merchant or description, now and in
    future syncs and imports, through a TransactionRule.

    Raises Transaction.DoesNotExist for another person's or a missing transaction, InvalidCategory for
    an unknown code.
    """
    if category:
        _category(category)  # refuse an unknown code before locking anything
    with transaction.atomic():
        row = Transaction.objects.for_user(user_id).select_for_update().get(pk=transaction_pk)
        result = transaction_category_set(
            user_id=user_id, row=row, category=category, apply_to_similar=apply_to_similar
        )
        transactions_changed(user_id=user_id, transaction_ids=[row.pk, *result.similar_ids])
    return result


def match_key_of(text: str) -> str:
    """The key a merchant or description matches on, made exactly as the database makes
    `Transaction.match_key` ("Uber 063015 SF**POOL**" → "uber sf pool")."""
    with connection.cursor() as cursor:
        cursor.execute(MATCH_KEY_SQL, [text])
        return str(cursor.fetchone()[0])


@dataclass(frozen=True)
class RuleSaved:
    rule: TransactionRule
    updated: int  # transactions the rule (re)categorised


def rule_create(*, user_id: int, match_text: str, category: str, label: str = "") -> RuleSaved:
    """A rule putting every transaction whose merchant (else description) matches `match_text` in
    `category`, applied at once to the person's transactions that were not categorised by hand.

    Raises InvalidCategory, InvalidMatch (no letters to match on) or RuleExists.
    """
    primary, detailed = _category(category)
    match_key = match_key_of(match_text)
    if not match_key:
        raise InvalidMatch("the text has no letters to match on")
    with transaction.atomic():
        existing = TransactionRule.objects.for_user(user_id).filter(match_key=match_key).first()
        if existing is not None:
            raise RuleExists(existing)
        try:
            with transaction.atomic():
                rule = TransactionRule.objects.create(
                    user_id=user_id,
                    match_key=match_key,
                    label=(label or match_text).strip()[:300],
                    category_primary=primary,
                    category_detailed=detailed,
                )
        except IntegrityError:  # created by a concurrent request since the check above
            raise RuleExists(TransactionRule.objects.for_user(user_id).get(match_key=match_key)) from None
        changed = _rules_run(user_id=user_id, extra_sql=" AND r.id = %(rule)s", extra={"rule": rule.pk})
        audit_record(
            "finance.rule_saved",
            user_id=user_id,
            details={"rule": rule.pk, "category": category, "updated": len(changed)},
        )
        transactions_changed(user_id=user_id, transaction_ids=changed)
    return RuleSaved(rule, len(changed))


def rule_update(
    *, user_id: int, rule_pk: int, category: str | None = None, label: str | None = None
) -> RuleSaved:
    """Change a rule's category or label; the transactions it categorised follow the new category
    (hand-picked ones keep theirs). Raises TransactionRule.DoesNotExist or InvalidCategory."""
    split = _category(category) if category is not None else None
    with transaction.atomic():
        rule = TransactionRule.objects.for_user(user_id).select_for_update().get(pk=rule_pk)
        if split is not None:
            rule.category_primary, rule.category_detailed = split
        if label is not None:
            rule.label = label.strip()[:300] or rule.label
        rule.save()
        changed = _rules_run(user_id=user_id, extra_sql=" AND r.id = %(rule)s", extra={"rule": rule.pk})
        audit_record(
            "finance.rule_saved",
            user_id=user_id,
            details={"rule": rule.pk, "category": rule.category_detailed or rule.category_primary,
                     "updated": len(changed)},
        )  # fmt: skip
        transactions_changed(user_id=user_id, transaction_ids=changed)
    return RuleSaved(rule, len(changed))


def rule_delete(*, user_id: int, rule_pk: int) -> int:
    """Delete a rule and give the transactions it categorised their bank's category back; returns how
    many went back. Raises TransactionRule.DoesNotExist for another person's or a missing rule."""
    with transaction.atomic():
        rule = TransactionRule.objects.for_user(user_id).get(pk=rule_pk)
        ruled = Transaction.objects.for_user(user_id).filter(match_key=rule.match_key, category_source="rule")
        reverted = list(ruled.values_list("pk", flat=True))
        Transaction.objects.for_user(user_id).filter(pk__in=reverted).update(
            user_category_primary="", user_category_detailed="", category_source=""
        )
        rule.delete()
        audit_record(
            "finance.rule_deleted", user_id=user_id, details={"rule": rule_pk, "reverted": len(reverted)}
        )
        transactions_changed(user_id=user_id, transaction_ids=reverted)
    return len(reverted)


@dataclass(frozen=True)
class CategoryInUse:
    primary: str
    detailed: str
    transactions: int  # the person's transactions in it by their own choice or a rule's
    rules: int


def categories_in_use(*, user_id: int) -> list[CategoryInUse]:
    """The categories the person chose themselves, by hand or through rules, most used first."""
    chosen = (
        Transaction.objects.for_user(user_id)
        .exclude(category_source="")
        .values_list("user_category_primary", "user_category_detailed")
        .annotate(count=Count("id"))
        .order_by()
    )
    ruled = (
        TransactionRule.objects.for_user(user_id)
        .values_list("category_primary", "category_detailed")
        .annotate(count=Count("id"))
        .order_by()
    )
    transactions = {(primary, detailed): count for primary, detailed, count in chosen}
    rules = {(primary, detailed): count for primary, detailed, count in ruled}
    found = [
        CategoryInUse(
            primary, detailed, transactions.get((primary, detailed), 0), rules.get((primary, detailed), 0)
        )
        for primary, detailed in transactions.keys() | rules.keys()
    ]
    return sorted(found, key=lambda row: (-row.transactions, -row.rules, row.primary, row.detailed))
