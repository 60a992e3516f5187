from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import pre_migrate


class TenancyConfig(AppConfig):
    name = "creditapp.tenancy"
    label = "tenancy"

    def ready(self) -> None:
        from creditapp.tenancy import checks, signals  # noqa: F401 - checks register on import

        pre_migrate.connect(
            signals.grant_runtime_roles, sender=self, dispatch_uid="tenancy.grant_runtime_roles"
        )
        user_logged_in.connect(signals.tenant_on_login, dispatch_uid="tenancy.tenant_on_login")
        user_logged_out.connect(signals.tenant_on_logout, dispatch_uid="tenancy.tenant_on_logout")
