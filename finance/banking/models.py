from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models.functions import Coalesce, Lower, Now, NullIf, Trim
from django.utils import timezone

from creditapp.core.money import utilisation_bp
from creditapp.tenancy.models import TenantOwned


class PlaidItem(TenantOwned):
    """One login at one institution. The access token is stored encrypted (creditapp.core.crypto)."""

    class Status(models.TextChoices):
        GOOD = "good", "Connected"
        LOGIN_REQUIRED = "login_required", "Needs re-login"
        PENDING_EXPIRATION = "pending_expiration", "Consent expiring"
        ERROR = "error", "Error"

    class SyncState(models.TextChoices):
        IDLE = "idle"
        QUEUED = "queued"
        RUNNING = "running"

    item_id = models.CharField(max_length=100)
    institution_id = models.CharField(max_length=50, blank=True)
    institution_name = models.CharField(max_length=200, blank=True)
    access_token_encrypted = models.TextField()
    cursor = models.TextField(blank=True, default="")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.GOOD)
    error_code = models.CharField(max_length=80, blank=True)
    error_message = models.TextField(blank=True)
    sync_state = models.CharField(max_length=10, choices=SyncState.choices, default=SyncState.IDLE)
    sync_state_at = models.DateTimeField(
        null=True, blank=True, help_text="When a sync was last queued or started."
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_sync_error_at = models.DateTimeField(null=True, blank=True)
    liabilities_refreshed_at = models.DateTimeField(null=True, blank=True)
    consent_expires_at = models.DateTimeField(null=True, blank=True)
    new_accounts_available = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["institution_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "item_id"], name="plaiditem_unique_item_per_user"),
            models.UniqueConstraint(fields=["user", "id"], name="plaiditem_unique_user_id"),
        ]
        indexes = [models.Index(fields=["user", "last_synced_at"], name="plaiditem_user_synced")]

    # A sync queued or running for longer than this was lost (its worker died, its message vanished):
    # the item shows as idle so "Sync now" works again, and the schedule queues it again.
    SYNC_STALE_AFTER = timedelta(minutes=15)

    def __str__(self) -> str:
        return self.institution_name or self.item_id

    @property
    def live_sync_state(self) -> str:
        """`sync_state`, unless that sync was lost (see SYNC_STALE_AFTER)."""
        if self.sync_state_at is None or self.sync_state_at < timezone.now() - self.SYNC_STALE_AFTER:
            return self.SyncState.IDLE
        return self.sync_state


def account_number_shown(last_digits: str) -> str:
    """How every page shows an account number of which we keep the last digits: "•• 1197"."""
    return f"•• {last_digits}" if last_digits else ""


class Account(TenantOwned):
    """A bank or card account. Money is integer minor units beside its ISO currency code.

    For credit accounts `current_balance_minor` positive means owed (Plaid's convention).
    """

    class Type(models.TextChoices):
        DEPOSITORY = "depository"
        CREDIT = "credit"
        LOAN = "loan"
        INVESTMENT = "investment"
        OTHER = "other"

    item = models.ForeignKey(
        PlaidItem,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="accounts",
        db_constraint=False,
    )
    external_id = models.CharField(max_length=100)
    institution_name = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=200)
    official_name = models.CharField(max_length=200, blank=True)
    mask = models.CharField(max_length=8, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.OTHER)
    subtype = models.CharField(max_length=40, blank=True)
    current_balance_minor = models.BigIntegerField(null=True, blank=True)
    available_balance_minor = models.BigIntegerField(null=True, blank=True)
    credit_limit_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    # The person's own name for the account, and whether they hid it; Plaid's updates never write these.
    custom_name = models.CharField(max_length=200, blank=True, db_default="")
    hidden = models.BooleanField(db_default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["institution_name", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "external_id"], name="account_unique_external_id_per_user"
            ),
            # The target of composite foreign keys from other tenant tables.
            models.UniqueConstraint(fields=["user", "id"], name="account_unique_user_id"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ••{self.mask}" if self.mask else self.display_name

    @property
    def display_name(self) -> str:
        return self.custom_name or self.name

    @property
    def mask_display(self) -> str:
        return account_number_shown(self.mask)

    @property
    def utilisation_bp(self) -> int | None:
        """Credit used as basis points of the limit (3000 = 30 %)."""
        if self.type != self.Type.CREDIT:
            return None
        return utilisation_bp(self.current_balance_minor, self.credit_limit_minor)


class Transaction(TenantOwned):
    """A bank or card transaction, keyed per tenant on Plaid's id.

    Sign convention (Plaid's): `amount_minor` positive = money out of the account (a purchase, a
    bill), negative = money in (a paycheck, a refund). Integer minor units of `currency`.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="transactions", db_constraint=False
    )
    plaid_transaction_id = models.CharField(max_length=100)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, default="USD")
    date = models.DateField()
    authorized_date = models.DateField(null=True, blank=True)
    name = models.CharField(max_length=300)
    merchant_name = models.CharField(max_length=200, blank=True)
    category_primary = models.CharField(max_length=60, blank=True)
    category_detailed = models.CharField(max_length=100, blank=True)
    payment_channel = models.CharField(max_length=20, blank=True)
    pending = models.BooleanField(default=False)
    pending_transaction_id = models.CharField(max_length=100, blank=True)
    # The person's own category, set by hand or by one of their TransactionRules. Plaid's upsert never
    # writes these columns (hence database defaults), so a sync cannot undo a choice.
    user_category_primary = models.CharField(max_length=60, blank=True, db_default="")
    user_category_detailed = models.CharField(max_length=100, blank=True, db_default="")
    category_source = models.CharField(
        max_length=5, blank=True, db_default="", choices=[("", "Bank"), ("user", "You"), ("rule", "Rule")]
    )
    notes = models.TextField(blank=True, db_default="")
    hidden = models.BooleanField(db_default=False, help_text="Left out of spending totals and reports.")
    effective_category_primary = models.GeneratedField(
        expression=Coalesce(NullIf("user_category_primary", models.Value("")), "category_primary"),
        output_field=models.CharField(max_length=60),
        db_persist=True,
    )
    effective_category_detailed = models.GeneratedField(
        expression=models.Case(
            models.When(~models.Q(user_category_primary=""), then="user_category_detailed"),
            default="category_detailed",
        ),
        output_field=models.CharField(max_length=100),
        db_persist=True,
    )
    # "Similar transactions" share this: the merchant (else the description) in lower-case letters only,
    # so "Uber 063015 SF**POOL**" and "Uber 072215 SF**POOL**" match. TransactionRule.match_key joins on it.
    match_key = models.GeneratedField(
        expression=Trim(
            models.Func(
                Lower(Coalesce(NullIf("merchant_name", models.Value("")), "name")),
                models.Value("[^a-z]+"),
                models.Value(" "),
                models.Value("g"),
                function="regexp_replace",
            )
        ),
        output_field=models.CharField(max_length=300),
        db_persist=True,
    )
    search_vector = models.GeneratedField(
        expression=SearchVector(
            Coalesce("merchant_name", models.Value("")), "name", "category_detailed", config="english"
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Kept by database triggers (finance.insights.changes explains them); whatever the application
    # writes here is overwritten. `change_number` is the person's change number of the row's latest
    # real change, `created_change_number` the one it was inserted with.
    change_number = models.BigIntegerField(editable=False, db_default=0)
    created_change_number = models.BigIntegerField(editable=False, db_default=0)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "plaid_transaction_id"], name="transaction_unique_plaid_id_per_user"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-date", "-id"], name="transaction_user_date"),
            models.Index(fields=["user", "account", "-date"], name="transaction_user_account_date"),
            models.Index(fields=["user", "amount_minor", "id"], name="transaction_user_amount"),
            models.Index(fields=["user", "match_key"], name="transaction_user_match_key"),
            models.Index(fields=["user", "change_number"], name="transaction_user_change"),
            GinIndex(fields=["search_vector"], name="transaction_search"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name} {self.amount_minor}"


class TransactionChangeCounter(TenantOwned):
    """One row per person: the last transaction change number handed out to them.

    Why not a sequence: a sequence hands out numbers when rows are written, not when they commit. A
    writer could take 11, another 12 and commit first; a reader would then pass 12 while 11 is still
    uncommitted, and never see it. Here the first change of a writing transaction locks the person's
    row (`SELECT … FOR UPDATE`) until commit, so a second writer for the same person waits for the
    first to end before it takes a number: for one person, numbers follow commit order, and once a
    reader has seen n no smaller number can still commit. Different people never wait for each other.

    Why the row is not updated once per change: updating one row many times in one transaction makes
    PostgreSQL walk an ever longer chain of its versions (measured here: 20 000 such updates in one
    transaction took 2.9 s, 50 000 more 24 s; an initial sync writes thousands of rows). The triggers
    count on in a transaction-local setting, which rolls back with a savepoint as the lock and the
    rows do, and store the count here once per statement.
    """

    # No database constraint of Django's: the migration adds one with ON DELETE CASCADE, because
    # deleting a person deletes their transactions, whose triggers write this row again.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    last_change = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"change {self.last_change} of user {self.user_id}"


class TransactionRemoval(TenantOwned):
    """A tombstone: a transaction that was deleted (by a Plaid sync's `removed`, a person, staff or a
    cascade), written by a database trigger with the person's change number of the deletion, so the
    changes feed can report it in `removed`."""

    # See TransactionChangeCounter.user: the database cascades, after the transactions' own deletion.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    transaction_id = models.BigIntegerField()
    plaid_transaction_id = models.CharField(max_length=100)
    account_id = models.BigIntegerField()
    change_number = models.BigIntegerField()
    removed_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["change_number"]
        indexes = [models.Index(fields=["user", "change_number"], name="transactionremoval_user_change")]

    def __str__(self) -> str:
        return f"removed transaction {self.transaction_id}"


class CardLiability(TenantOwned):
    """A credit card's statement facts from /liabilities/get. APRs are basis points (2499 = 24.99 %)."""

    # A ForeignKey, not a OneToOneField: its implied UNIQUE(account_id) would be a global key that
    # reveals other tenants' rows; uniqueness is per tenant below.
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="liabilities", db_constraint=False
    )
    purchase_apr_bp = models.IntegerField(null=True, blank=True)
    aprs = models.JSONField(default=list, blank=True)  # [{"type", "apr_bp", "balance_subject_minor"}]
    last_statement_balance_minor = models.BigIntegerField(null=True, blank=True)
    last_statement_issue_date = models.DateField(null=True, blank=True)
    minimum_payment_minor = models.BigIntegerField(null=True, blank=True)
    next_payment_due_date = models.DateField(null=True, blank=True)
    is_overdue = models.BooleanField(default=False)
    last_payment_amount_minor = models.BigIntegerField(null=True, blank=True)
    last_payment_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="cardliability_unique_account")
        ]
        verbose_name_plural = "card liabilities"

    def __str__(self) -> str:
        return f"liability of account {self.account_id}"


class BalanceSnapshot(TenantOwned):
    """One balance per account per day, for trends."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="snapshots", db_constraint=False
    )
    date = models.DateField()
    current_minor = models.BigIntegerField(null=True)
    available_minor = models.BigIntegerField(null=True)
    limit_minor = models.BigIntegerField(null=True)
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["user", "account", "date"], name="balancesnapshot_unique_day"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.date}"
