"""Keep only the last four digits of credit account numbers: in tradeline rows, in tradeline identities
(and the new-account alert keys made from them), and in the stored raw reports.

These tables force row-level security, so the data step runs unforced (creditapp.tenancy.operations).
Shrinking the column to four characters at the end makes the migration fail, rather than pass quietly,
if any row was missed.
"""

import json
from typing import Any

from django.db import migrations, models

from creditapp.core import crypto
from creditapp.tenancy.operations import run_python_unforced
from finance.credit.parser import last_four, without_account_numbers

TABLES = ("finance_tradeline", "finance_creditreport", "finance_alert")
IDENTITY_LENGTH = 120  # Tradeline.identity's max_length, as finance.credit.services stores it
ACCOUNT_ALERT = "account:"  # finance.alerts.credit keys a new account's alert by its identity
BATCH = 1000


def identity_with_last_four(identity: str) -> str:
    """A tradeline identity ends with the account number: keep its last four, as new pulls do, so the
    same account still matches across pulls stored before and after this migration."""
    head, colon, number = identity.rpartition(":")
    return f"{head}:{last_four(number)}"[:IDENTITY_LENGTH] if colon else identity


def keep_last_four(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.connection.alias
    tradelines = apps.get_model("finance", "Tradeline").objects.using(db)
    changed = []
    for row in tradelines.only("identity", "account_last4").iterator(chunk_size=BATCH):
        kept = (last_four(row.account_last4), identity_with_last_four(row.identity))
        if kept != (row.account_last4, row.identity):
            row.account_last4, row.identity = kept
            changed.append(row)
    tradelines.bulk_update(changed, ["account_last4", "identity"], batch_size=BATCH)

    reports = apps.get_model("finance", "CreditReport").objects.using(db)
    for report in reports.only("raw_encrypted").iterator(chunk_size=100):
        try:
            raw = json.loads(crypto.decrypt(report.raw_encrypted))
        except ValueError:
            continue  # no configured key opens it: nobody can show or export what it holds
        kept_raw = without_account_numbers(raw)
        if kept_raw != raw:
            reports.filter(pk=report.pk).update(raw_encrypted=crypto.encrypt(json.dumps(kept_raw)))

    alerts = apps.get_model("finance", "Alert").objects.using(db)
    account_alerts = alerts.filter(kind="new_account", dedupe_key__startswith=ACCOUNT_ALERT)
    taken = set(account_alerts.values_list("user_id", "dedupe_key"))
    for alert in account_alerts.order_by("id"):
        key = ACCOUNT_ALERT + identity_with_last_four(alert.dedupe_key.removeprefix(ACCOUNT_ALERT))
        if key == alert.dedupe_key:
            continue
        taken.discard((alert.user_id, alert.dedupe_key))
        if (alert.user_id, key) in taken:
            # Two accounts that now share lender, type, open date and last four are one account to
            # the app (their tradelines share an identity too), so they keep one alert.
            alert.delete()
        else:
            alerts.filter(pk=alert.pk).update(dedupe_key=key)
            taken.add((alert.user_id, key))


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0009_plaiditem_sync_state_at"),
    ]

    operations = [
        migrations.RenameField(model_name="tradeline", old_name="account_mask", new_name="account_last4"),
        *run_python_unforced(TABLES, keep_last_four),
        migrations.AlterField(
            model_name="tradeline",
            name="account_last4",
            field=models.CharField(blank=True, max_length=4),
        ),
    ]
