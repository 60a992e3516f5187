"""Change numbers for the transactions changes feed, kept by database triggers.

finance.insights.changes describes the scheme; the SQL lives here so every writer (the ORM, Plaid's
bulk upsert, rules' raw UPDATEs, CSV imports, staff deletes, cascades) is numbered alike.
"""

import django.db.models.deletion
import django.db.models.functions.datetime
from django.conf import settings
from django.db import migrations, models

from creditapp.tenancy.operations import EnableRLS, run_python_unforced

# The columns whose change is a change of the transaction. Left out: its id and owner (which never
# change), the change numbers, the timestamps, and the generated columns (derived from these, and not
# computed yet in a BEFORE trigger). tests/finance/test_changes_feed.py fails for a column in neither.
COMPARED_COLUMNS = (
    "account_id", "plaid_transaction_id", "amount_minor", "currency", "date", "authorized_date", "name",
    "merchant_name", "category_primary", "category_detailed", "payment_channel", "pending",
    "pending_transaction_id", "user_category_primary", "user_category_detailed", "category_source",
    "notes", "hidden",
)  # fmt: skip
NEW_VALUES = ", ".join(f"NEW.{column}" for column in COMPARED_COLUMNS)
OLD_VALUES = ", ".join(f"OLD.{column}" for column in COMPARED_COLUMNS)

# Built from the constant column list above, never from input.
FUNCTIONS = f"""
-- The person's next change number. The first call of a transaction locks the person's counter row
-- until commit, so another writer for the same person waits and numbers follow commit order; later
-- calls count on in a transaction-local setting (it rolls back with a savepoint, as the lock and the
-- rows do), and the statement trigger below stores the count in the counter row once per statement.
CREATE FUNCTION finance_transaction_change_next(owner bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    setting text := 'finance_changes.user_' || owner;
    latest bigint := NULLIF(current_setting(setting, true), '')::bigint;
BEGIN
    IF latest IS NULL THEN
        SELECT last_change INTO latest FROM finance_transactionchangecounter
        WHERE user_id = owner FOR UPDATE;
        IF NOT FOUND THEN
            INSERT INTO finance_transactionchangecounter (user_id, last_change) VALUES (owner, 0)
            ON CONFLICT (user_id) DO NOTHING;
            SELECT last_change INTO latest FROM finance_transactionchangecounter
            WHERE user_id = owner FOR UPDATE;
        END IF;
        PERFORM set_config(
            'finance_changes.users',
            concat_ws(',', NULLIF(current_setting('finance_changes.users', true), ''), owner::text),
            true
        );
    END IF;
    latest := latest + 1;
    PERFORM set_config(setting, latest::text, true);
    RETURN latest;
END
$$;

-- Stores the counts of the persons this transaction has numbered changes for.
CREATE FUNCTION finance_transaction_change_store() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    owner bigint;
    latest bigint;
BEGIN
    FOR owner IN
        SELECT unnest(string_to_array(NULLIF(current_setting('finance_changes.users', true), ''), ','))::bigint
    LOOP
        latest := current_setting('finance_changes.user_' || owner)::bigint;
        UPDATE finance_transactionchangecounter SET last_change = latest
        WHERE user_id = owner AND last_change < latest;
    END LOOP;
    RETURN NULL;
END
$$;

-- Numbers inserts and real changes. An upsert that rewrites identical values keeps its row's number
-- (and its updated_at). BEFORE INSERT runs for upserted rows that then conflict too, so each of those
-- uses up a number that no row keeps: gaps are harmless, and looking the row up first would cost a
-- query per row whose cached plan, made while a table is small, can turn into a scan per row.
CREATE FUNCTION finance_transaction_change_number() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.user_id IS DISTINCT FROM OLD.user_id THEN
            RAISE EXCEPTION 'a transaction never changes owner (transaction %)', OLD.id;
        END IF;
        NEW.created_change_number := OLD.created_change_number;
        IF ROW({NEW_VALUES})
           IS NOT DISTINCT FROM ROW({OLD_VALUES}) THEN
            NEW.change_number := OLD.change_number;
            NEW.updated_at := OLD.updated_at;
            RETURN NEW;
        END IF;
        NEW.change_number := finance_transaction_change_next(NEW.user_id);
        RETURN NEW;
    END IF;
    NEW.change_number := finance_transaction_change_next(NEW.user_id);
    NEW.created_change_number := NEW.change_number;
    RETURN NEW;
END
$$;

-- A deleted transaction leaves a tombstone with the change number of its deletion.
CREATE FUNCTION finance_transaction_change_remove() RETURNS trigger
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    INSERT INTO finance_transactionremoval
        (user_id, transaction_id, plaid_transaction_id, account_id, change_number)
    VALUES
        (OLD.user_id, OLD.id, OLD.plaid_transaction_id, OLD.account_id,
         finance_transaction_change_next(OLD.user_id));
    RETURN NULL;
END
$$;

CREATE TRIGGER finance_transaction_change_number
    BEFORE INSERT OR UPDATE ON finance_transaction
    FOR EACH ROW EXECUTE FUNCTION finance_transaction_change_number();
CREATE TRIGGER finance_transaction_change_remove
    AFTER DELETE ON finance_transaction
    FOR EACH ROW EXECUTE FUNCTION finance_transaction_change_remove();
CREATE TRIGGER finance_transaction_change_store
    AFTER INSERT OR UPDATE OR DELETE ON finance_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION finance_transaction_change_store();
"""  # noqa: S608

DROP_FUNCTIONS = """
DROP TRIGGER finance_transaction_change_store ON finance_transaction;
DROP TRIGGER finance_transaction_change_remove ON finance_transaction;
DROP TRIGGER finance_transaction_change_number ON finance_transaction;
DROP FUNCTION finance_transaction_change_remove();
DROP FUNCTION finance_transaction_change_number();
DROP FUNCTION finance_transaction_change_store();
DROP FUNCTION finance_transaction_change_next(bigint);
"""

# Deleting a person deletes their transactions, whose triggers write tombstones and the counter again
# after Django's collector has passed these tables: the database removes them with the person.
OWNER_KEYS = """
ALTER TABLE finance_transactionchangecounter ADD CONSTRAINT finance_transactionchangecounter_user_fk
    FOREIGN KEY (user_id) REFERENCES accounts_user (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE finance_transactionremoval ADD CONSTRAINT finance_transactionremoval_user_fk
    FOREIGN KEY (user_id) REFERENCES accounts_user (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED;
"""

DROP_OWNER_KEYS = """
ALTER TABLE finance_transactionremoval DROP CONSTRAINT finance_transactionremoval_user_fk;
ALTER TABLE finance_transactionchangecounter DROP CONSTRAINT finance_transactionchangecounter_user_fk;
"""


def number_existing_transactions(apps, schema_editor):
    """Rows from before the feed: numbered per person in id order, each its own creation."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE finance_transaction AS t SET change_number = n.number, created_change_number = n.number
            FROM (
                SELECT id, row_number() OVER (PARTITION BY user_id ORDER BY id) AS number
                FROM finance_transaction
            ) AS n
            WHERE t.id = n.id
            """
        )
        cursor.execute(
            """
            INSERT INTO finance_transactionchangecounter (user_id, last_change)
            SELECT user_id, max(change_number) FROM finance_transaction GROUP BY user_id
            """
        )


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0012_user_fields"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="TransactionChangeCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_change", models.BigIntegerField(default=0)),
                (
                    "user",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="TransactionRemoval",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("transaction_id", models.BigIntegerField()),
                ("plaid_transaction_id", models.CharField(max_length=100)),
                ("account_id", models.BigIntegerField()),
                ("change_number", models.BigIntegerField()),
                ("removed_at", models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                (
                    "user",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["change_number"],
                "indexes": [
                    models.Index(fields=["user", "change_number"], name="transactionremoval_user_change")
                ],
            },
        ),
        EnableRLS("transactionchangecounter"),
        EnableRLS("transactionremoval"),
        migrations.AddField(
            model_name="transaction",
            name="change_number",
            field=models.BigIntegerField(db_default=0, editable=False),
        ),
        migrations.AddField(
            model_name="transaction",
            name="created_change_number",
            field=models.BigIntegerField(db_default=0, editable=False),
        ),
        *run_python_unforced(
            ("finance_transaction", "finance_transactionchangecounter"), number_existing_transactions
        ),
        # After the counter rows above: a deferred key's pending checks would block the FORCE.
        migrations.RunSQL(OWNER_KEYS, DROP_OWNER_KEYS),
        migrations.AddIndex(
            model_name="transaction",
            index=models.Index(fields=["user", "change_number"], name="transaction_user_change"),
        ),
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
    ]
