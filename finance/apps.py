from django.apps import AppConfig


class FinanceConfig(AppConfig):
    name = "finance"

    def ready(self) -> None:
        import finance.selectors.dashboard  # noqa: F401 - connects the dashboard cache's invalidation
        from finance.signals import item_synced
        from finance.tasks.credit import evaluate_alerts_after_sync

        # After every Plaid sync the alert engine looks at the new data (in its own task).
        item_synced.connect(evaluate_alerts_after_sync, dispatch_uid="finance.alerts.after_sync")
