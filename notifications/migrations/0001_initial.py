"""Alert, moved here from finance with its rows: the state takes over finance's table, then the table
is renamed. Row-level security, its policies, indexes and constraints belong to the table and move
with it."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("finance", "0011_move_alert_to_notifications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Alert",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("new_inquiry", "New hard inquiry"),
                                    ("new_account", "New account"),
                                    ("score_change", "Score change"),
                                    ("utilisation", "High utilisation"),
                                    ("payment_due", "Payment due soon"),
                                    ("overdue", "Payment overdue"),
                                    ("large_transaction", "Unusual transaction"),
                                    ("relogin", "Bank connection needs attention"),
                                    ("billing", "Billing"),
                                ],
                                max_length=20,
                            ),
                        ),
                        (
                            "severity",
                            models.CharField(
                                choices=[("info", "Info"), ("warning", "Warning"), ("critical", "Critical")],
                                default="info",
                                max_length=10,
                            ),
                        ),
                        ("title", models.CharField(max_length=200)),
                        ("body", models.TextField(blank=True)),
                        ("link", models.CharField(blank=True, max_length=200)),
                        ("subject", models.CharField(blank=True, max_length=60)),
                        ("dedupe_key", models.CharField(max_length=200)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("read_at", models.DateTimeField(blank=True, null=True)),
                        ("dismissed_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["-created_at", "-id"],
                        "indexes": [
                            models.Index(fields=["user", "dismissed_at", "read_at"], name="alert_user_inbox")
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "dedupe_key"), name="alert_unique_event_per_user"
                            )
                        ],
                        "db_table": "finance_alert",
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="alert", table=None),
    ]
