from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from accounts.services import user_create_verified
from creditapp.core import crypto
from creditapp.tenancy.db import tenant_binding
from finance.banking import plaid
from finance.banking.items import plaid_item_link
from finance.banking.sync import plaid_item_refresh_liabilities, plaid_item_sync
from finance.credit import experian
from finance.credit.services import CONSENT_VERSION, credit_profile_save, credit_report_pull
from finance.models import CreditReport, OnboardingProgress, PlaidItem
from finance.onboarding.services import onboarding_step_set

DEMO_EMAIL = "demo@creditapp.local"
DEMO_PASSWORD = "demo-credit-2026"
STAFF_EMAIL = "staff@creditapp.local"
STAFF_PASSWORD = "staff-credit-2026"
DEMO_INSTITUTION = "ins_109508"  # First Platypus Bank in the sandbox
DEMO_APPLICANT = experian.Applicant(  # a made-up identity: the sandbox makes a credit file for it
    first_name="Dana", last_name="Demo", date_of_birth=date(1988, 4, 2), ssn="123456789",
    line1="450 E Olive Ave", city="Burbank", state="CA", zip_code="91501",
)  # fmt: skip


class Command(BaseCommand):
    help = (
        "Create the demo tenant with one fully synced sandbox bank and a sandbox credit report "
        "(idempotent); print its login."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--staff", action="store_true", help="also create a staff login for the admin (development only)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is None:
            user = user_create_verified(email=DEMO_EMAIL, password=DEMO_PASSWORD, full_name="Demo User")
        done = ["profile"]
        with tenant_binding(user.pk):
            if plaid.uses_sandbox():
                self.link_demo_bank(user.pk)
                done.append("bank")
            if experian.uses_sandbox():
                self.pull_demo_credit(user.pk)
                done.append("credit")
            self.record_onboarding(user.pk, done)
        self.stdout.write(f"Demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        if options["staff"]:
            self.create_staff()

    def create_staff(self) -> None:
        if settings.PRODUCTION:
            raise CommandError("a staff login with a published password is for development only")
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            staff = user_create_verified(email=STAFF_EMAIL, password=STAFF_PASSWORD, full_name="Demo Staff")
        User.objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
        self.stdout.write(f"Staff login: {STAFF_EMAIL} / {STAFF_PASSWORD}  (admin: /admin/)")

    def link_demo_bank(self, user_id: int) -> None:
        item = PlaidItem.objects.filter(user_id=user_id).first()
        if item is not None and not self.sandbox_knows(item):
            # The sandbox's state was wiped (it lives apart from the database): link afresh.
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

    def pull_demo_credit(self, user_id: int) -> None:
        if CreditReport.objects.filter(user_id=user_id).exists():
            return
        credit_profile_save(
            user_id=user_id, applicant=DEMO_APPLICANT, consent_version=CONSENT_VERSION, consent_ip=None
        )
        result = credit_report_pull(user_id=user_id, trigger=CreditReport.Trigger.CONSENT)
        self.stdout.write(f"Demo credit report pulled: {result.report or result.skipped}")

    def record_onboarding(self, user_id: int, done: list[str]) -> None:
        """With both sandboxes the demo opens on the dashboard, not on the set-up wizard."""
        for step in done:
            onboarding_step_set(user_id=user_id, step=step, state=OnboardingProgress.State.DONE)
        onboarding_step_set(user_id=user_id, step="plan", state=OnboardingProgress.State.SKIPPED)
