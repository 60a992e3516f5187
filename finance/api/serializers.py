"""What the finance API reads and writes. Every value is the one the pages show: display names, the
category the app files a transaction under, and amounts with the app's sign (money out negative)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from finance.insights.categories import category_label, taxonomy
from finance.insights.transactions import shown_amount_minor
from finance.models import Account, Transaction

SOURCES = {"": "bank", "user": "user", "rule": "rule"}
CATEGORY_CODE_HELP = (
    "A category code from `/api/v1/categories/`: a detailed one (`FOOD_AND_DRINK_COFFEE`) or a primary "
    "alone (`FOOD_AND_DRINK`)."
)


def category_codes() -> list[str]:
    return [code for category in taxonomy() for code in (category.primary, *dict(category.detailed))]


# --- input ------------------------------------------------------------------------------------------
class StrictBooleanField(serializers.BooleanField):
    """`true` or `false` only: "yes", 1 or "on" are mistakes worth a 400, not guesses."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        if data in ("true", "false"):  # a form-encoded body
            return data == "true"
        self.fail("invalid", input=data)
        raise AssertionError("unreachable")


class StrictSerializer(serializers.Serializer[Any]):
    """A request body: a field it does not know is a 400 naming it, not silently ignored, and an edit
    must change something."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - {name for name, field in self.fields.items() if not field.read_only})
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs:
            names = ", ".join(f"`{name}`" for name in self.fields)
            raise serializers.ValidationError({"non_field_errors": [f"Send at least one of {names}."]})
        return attrs


class CategoryCodeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=category_codes(), **kwargs)


# --- accounts ---------------------------------------------------------------------------------------
class BalancesSerializer(serializers.Serializer[Account]):
    current_minor = serializers.IntegerField(
        source="current_balance_minor",
        allow_null=True,
        help_text="The balance in minor units, as the bank reports it: on a card or loan, positive is owed.",
    )
    available_minor = serializers.IntegerField(
        source="available_balance_minor",
        allow_null=True,
        help_text="What can be spent now, in minor units (null when the bank does not say).",
    )


class AccountSerializer(serializers.ModelSerializer[Account]):
    name = serializers.CharField(
        source="display_name",
        read_only=True,
        help_text="Your name for the account if you gave one, else the bank's.",
    )
    bank_name = serializers.CharField(
        source="name", read_only=True, help_text="The bank's name for the account."
    )
    balances = BalancesSerializer(source="*", read_only=True)
    utilisation_bp = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Cards: credit used as basis points of the limit (3000 = 30 %); null for other accounts.",
    )

    class Meta:
        model = Account
        fields = [
            "id", "name", "bank_name", "custom_name", "hidden", "official_name", "mask", "type", "subtype",
            "institution_name", "balances", "credit_limit_minor", "currency", "utilisation_bp", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "custom_name": {"help_text": "Your own name for the account; empty when you gave none."},
            "hidden": {"help_text": "Whether you hid the account."},
            "mask": {"help_text": "The last digits of the account number."},
            "credit_limit_minor": {"help_text": "Cards: the credit limit in minor units."},
            "currency": {"help_text": "ISO 4217 code of every amount of the account."},
        }


class AccountUpdateSerializer(StrictSerializer):
    custom_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Your name for the account; an empty string goes back to the bank's.",
    )
    hidden = StrictBooleanField(required=False, help_text="Hide the account, or show it again.")


# --- transactions -----------------------------------------------------------------------------------
class ShownAmountField(serializers.IntegerField):
    """The amount with the app's sign (the database keeps Plaid's opposite one)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, value: Any) -> int:
        return shown_amount_minor(value)


class TransactionSerializer(serializers.ModelSerializer[Transaction]):
    amount_minor = ShownAmountField(
        help_text="Integer minor units of `currency`, signed as the app and its CSV export show it: "
        "money out of the account is negative (a $11.91 purchase is -1191), money in is positive."
    )
    category = serializers.CharField(
        source="effective_category_primary",
        read_only=True,
        help_text="The primary category the app files the transaction under: yours (set by hand or by a "
        "rule) if any, else the bank's; empty when it has none.",
    )
    category_detailed = serializers.CharField(
        source="effective_category_detailed",
        read_only=True,
        help_text="The detailed category the app files the transaction under (may be empty).",
    )
    category_label = serializers.SerializerMethodField(
        help_text='The category as the app names it ("Coffee", "Shopping", "Uncategorised").'
    )
    category_source = serializers.SerializerMethodField(
        help_text="Who chose `category`: `bank`, `user` (by hand) or `rule` (one of your rules)."
    )
    bank_category = serializers.CharField(
        source="category_primary", read_only=True, help_text="The bank's own primary category."
    )
    bank_category_detailed = serializers.CharField(
        source="category_detailed", read_only=True, help_text="The bank's own detailed category."
    )

    class Meta:
        model = Transaction
        fields = [
            "id", "account", "date", "authorized_date", "name", "merchant_name", "amount_minor", "currency",
            "category", "category_detailed", "category_label", "category_source", "bank_category",
            "bank_category_detailed", "payment_channel", "pending", "notes", "hidden",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "account": {"help_text": "The account's id."},
            "currency": {"help_text": "ISO 4217 code of `amount_minor`."},
            "notes": {"help_text": "Your notes."},
            "hidden": {"help_text": "Hidden transactions are left out of spending totals and summaries."},
        }

    def get_category_label(self, row: Transaction) -> str:
        return category_label(row.effective_category_primary, row.effective_category_detailed)

    @extend_schema_field(serializers.ChoiceField(choices=list(SOURCES.values())))
    def get_category_source(self, row: Transaction) -> str:
        return SOURCES.get(row.category_source, "bank")


class TransactionUpdateSerializer(StrictSerializer):
    category = CategoryCodeField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text=f"{CATEGORY_CODE_HELP} Empty or null goes back to the bank's category.",
    )
    apply_to_similar = StrictBooleanField(
        required=False,
        help_text="With `category`: also every transaction with the same merchant (else description), now "
        "and in future syncs and imports, through a rule (as the transactions page's “Also all …” box).",
    )
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000, help_text="Your notes.")
    hidden = StrictBooleanField(required=False, help_text="Leave the transaction out of spending totals.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if "category" in attrs and attrs["category"] is None:
            attrs["category"] = ""
        if attrs.get("apply_to_similar") and not attrs.get("category"):
            raise serializers.ValidationError({"apply_to_similar": ["Give the `category` to apply."]})
        return attrs


# --- categories -------------------------------------------------------------------------------------
class DetailedCategorySerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]


class PrimaryCategorySerializer(serializers.Serializer[Any]):
    code = serializers.CharField(source="primary")
    label = serializers.CharField()  # type: ignore[assignment]
    detailed = serializers.SerializerMethodField()

    @extend_schema_field(DetailedCategorySerializer(many=True))
    def get_detailed(self, category: Any) -> list[dict[str, str]]:
        return [{"code": code, "label": label} for code, label in category.detailed]


class CategoryInUseSerializer(serializers.Serializer[Any]):
    category = serializers.CharField(source="primary", help_text="The primary code.")
    category_detailed = serializers.CharField(
        source="detailed", help_text="The detailed code (may be empty)."
    )
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    transactions = serializers.IntegerField(
        help_text="Your transactions in it by your own choice or a rule's."
    )
    rules = serializers.IntegerField(help_text="Your rules that set it.")

    def get_label(self, row: Any) -> str:
        return category_label(row.primary, row.detailed)


class CategoriesSerializer(serializers.Serializer[Any]):
    taxonomy = PrimaryCategorySerializer(
        many=True, help_text="Every primary category with its detailed ones."
    )
    yours = CategoryInUseSerializer(
        many=True, help_text="The categories you chose yourself, by hand or through rules, most used first."
    )
