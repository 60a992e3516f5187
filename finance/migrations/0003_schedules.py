from django.db import migrations

SCHEDULES = [
    # (name, task, every N minutes)
    ("Sync Plaid items not synced in 6 hours", "finance.plaid.sync_due_items", 30),
    ("Refresh card liabilities", "finance.plaid.refresh_all_liabilities", 24 * 60),
]


def create(apps, schema_editor):
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    task_model = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, minutes in SCHEDULES:
        interval, _ = interval_model.objects.get_or_create(every=minutes, period="minutes")
        task_model.objects.update_or_create(
            name=name, defaults={"task": task, "interval": interval, "enabled": True}
        )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[s[0] for s in SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("finance", "0002_plaid"), ("django_celery_beat", "0019_alter_periodictasks_options")]
    operations = [migrations.RunPython(create, remove)]
