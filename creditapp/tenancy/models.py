from django.conf import settings
from django.db import models


class TenantOwned(models.Model):
    """Base of every tenant-owned model: rows belong to one user and PostgreSQL enforces it.

    Give the model's migration an `EnableRLS` operation (creditapp.tenancy.operations); the test
    suite and CI's audit fail for any table with a `user_id` column that lacks it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=True, related_name="+"
    )

    class Meta:
        abstract = True
