from typing import Any

from django.core.management.base import BaseCommand

from accounts.models import User
from accounts.services import user_create_verified
from creditapp import crypto
from creditapp.tenancy.db import tenant_context
from finance import plaid
from finance.models import PlaidItem
from finance.services.items import plaid_item_link
from finance.services.sync import plaid_item_refresh_liabilities, plaid_item_sync

DEMO_EMAIL = "demo@creditapp.local"
DEMO_PASSWORD = "demo-credit-2026"
DEMO_INSTITUTION = "ins_109508"  # First Platypus Bank in the sandbox


class Command(BaseCommand):
    help = "Create the demo tenant with one fully synced sandbox bank (idempotent); print its login."

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = user_create_verified(email=DEMO_EMAIL, password=DEMO_PASSWORD, full_name="Demo User")
        if plaid.uses_sandbox():
            self.link_demo_bank(user.pk)
        self.stdout.write(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")

    def link_demo_bank(self, user_id: int) -> None:
        with tenant_context(user_id):
            item = PlaidItem.objects.filter(user_id=user_id).first()
        if item is not None and not self.sandbox_knows(item):
            # The sandbox's state was wiped (it lives apart from the database): link afresh.
            with tenant_context(user_id):
                item.delete()
            item = None
        if item is None:
            item = plaid_item_link(
                user_id=user_id,
                public_token=plaid.sandbox_public_token(DEMO_INSTITUTION),
                institution_id=DEMO_INSTITUTION,
                institution_name="First Platypus Bank",
            )
        result = plaid_item_sync(user_id=user_id, item_pk=item.pk)
        cards = plaid_item_refresh_liabilities(user_id=user_id, item_pk=item.pk)
        self.stdout.write(f"Demo bank synced: {result.added} transactions added, {cards} card(s) refreshed")

    def sandbox_knows(self, item: PlaidItem) -> bool:
        try:
            plaid.item_get(crypto.decrypt(item.access_token_encrypted))
        except plaid.PlaidError as error:
            if error.error_code in ("INVALID_ACCESS_TOKEN", "ITEM_NOT_FOUND"):
                return False
            raise
        return True
