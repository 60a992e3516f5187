"""The Alert model moves to the notifications app: finance forgets it, its table and rows stay put
(notifications.0001 takes the table over and renames it)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("finance", "0010_tradeline_account_last4"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Alert")]),
    ]
