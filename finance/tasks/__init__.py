"""Celery discovers `finance.tasks`; each module here registers its tasks on import."""

from finance.tasks import credit as credit
from finance.tasks import imports as imports
from finance.tasks import plaid as plaid
