from __future__ import annotations

from django.db import models
from django.utils import timezone

from creditapp.tenancy.models import TenantOwned


class TransactionRule(TenantOwned):
    """ "Always put transactions like this one in that category": made when someone recategorises a
    transaction and asks for similar ones too; applied to every later sync and import.

    Matches `Transaction.match_key` exactly (the merchant, else the description, in lower-case letters).
    """

    match_key = models.CharField(max_length=300)
    label = models.CharField(max_length=300)  # how the person saw it: "Starbucks"
    category_primary = models.CharField(max_length=60)
    category_detailed = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["label", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "match_key"], name="transactionrule_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.label} → {self.category_detailed}"
