from __future__ import annotations

from rest_framework import serializers

from finance.models import Account, Transaction


class AccountSerializer(serializers.ModelSerializer[Account]):
    utilisation_bp = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Credit used as basis points of the limit (3000 = 30 %)."
    )

    class Meta:
        model = Account
        fields = [
            "id", "name", "official_name", "mask", "type", "subtype", "institution_name",
            "current_balance_minor", "available_balance_minor", "credit_limit_minor", "currency",
            "utilisation_bp", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class TransactionSerializer(serializers.ModelSerializer[Transaction]):
    class Meta:
        model = Transaction
        fields = [
            "id", "account", "date", "authorized_date", "name", "merchant_name", "amount_minor", "currency",
            "category_primary", "category_detailed", "payment_channel", "pending",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "account": {"help_text": "The account's id."},
            "amount_minor": {"help_text": "Integer minor units; positive is money out of the account."},
        }
