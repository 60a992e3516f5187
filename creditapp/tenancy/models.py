from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.db import models


class TenantQuerySet(models.QuerySet[Any]):
    def for_user(self, user: Any) -> Self:
        """The rows of one person (a user or their id): the explicit filter every selector applies
        beside the database's own policy (DESIGN §4, "two layers")."""
        return self.filter(user_id=getattr(user, "pk", user))


TenantManager = models.Manager.from_queryset(TenantQuerySet)


class TenantOwned(models.Model):
    """Base of every tenant-owned model: rows belong to one user and PostgreSQL enforces it.

    Give the model's migration an `EnableRLS` operation (creditapp.tenancy.operations); the test
    suite and CI's audit fail for any table with a `user_id` column that lacks it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=True, related_name="+"
    )

    objects = TenantManager()

    class Meta:
        abstract = True
