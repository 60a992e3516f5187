import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditapp.settings")

app = Celery("creditapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # each installed app's tasks.py
# finance is one app in packages, each with its own tasks.py
app.autodiscover_tasks(["finance.banking", "finance.credit", "finance.alerts", "finance.imports"])
