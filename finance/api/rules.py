"""Category rules: "always put transactions like this one in that category". Creating one files the
matching transactions at once, as the transactions page's "Also all …" does; deleting one gives them
their bank's category back, as the settings page does. Hand-picked categories are never overridden."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from creditapp.api.errors import ApiError, error_body
from creditapp.api.pagination import NewestFirst
from creditapp.api.schema import ErrorSerializer
from creditapp.api.views import TenantGenericViewSet
from creditapp.core.request import user_id
from finance.api.params import KnownQueryParametersMixin
from finance.api.serializers import CATEGORY_CODE_HELP, CategoryCodeField, StrictSerializer
from finance.insights.categories import category_label
from finance.insights.rules import (
    InvalidCategory,
    InvalidMatch,
    RuleExists,
    rule_create,
    rule_delete,
    rule_update,
)
from finance.models import Transaction, TransactionRule


class RuleSerializer(serializers.ModelSerializer[TransactionRule]):
    category = serializers.CharField(source="category_primary", read_only=True, help_text="The primary code.")
    category_detailed = serializers.CharField(read_only=True, help_text="The detailed code (may be empty).")
    category_label = serializers.SerializerMethodField()

    class Meta:
        model = TransactionRule
        fields = [
            "id", "match_key", "label", "category", "category_detailed", "category_label", "created_at",
            "updated_at",
        ]  # fmt: skip
        read_only_fields = fields
        extra_kwargs = {
            "match_key": {
                "help_text": "Transactions whose merchant (else description), in lower-case letters only, is "
                "exactly this are put in the rule's category."
            },
            "label": {"help_text": "How the rule is listed in settings (the merchant, say)."},
        }

    def get_category_label(self, rule: TransactionRule) -> str:
        return category_label(rule.category_primary, rule.category_detailed)


class RuleCreateSerializer(StrictSerializer):
    transaction = serializers.IntegerField(
        required=False, min_value=1, help_text="Match transactions like this one of yours (its merchant)."
    )
    match_text = serializers.CharField(
        required=False,
        max_length=300,
        help_text="Or match this merchant or description; digits and punctuation are ignored.",
    )
    category = CategoryCodeField(help_text=CATEGORY_CODE_HELP)
    label = serializers.CharField(  # type: ignore[assignment]
        required=False, max_length=300, help_text="Defaults to the merchant or text."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if ("transaction" in attrs) == ("match_text" in attrs):
            raise serializers.ValidationError(
                {"non_field_errors": ["Give either `transaction` or `match_text`, not both."]}
            )
        return attrs


class RuleUpdateSerializer(StrictSerializer):
    category = CategoryCodeField(required=False, help_text=CATEGORY_CODE_HELP)
    label = serializers.CharField(required=False, max_length=300, allow_blank=False)  # type: ignore[assignment]


RULE_EXISTS = OpenApiResponse(
    ErrorSerializer,
    description="You already have a rule for these transactions: change that one (`details.rule` is its id).",
    examples=[
        OpenApiExample(
            "rule_exists",
            summary="A rule for the same merchant exists",
            value=error_body("rule_exists", "You already have a rule for “starbucks”.", {"rule": 42}),
        )
    ],
)


@extend_schema_view(
    list=extend_schema(description="Your category rules, newest first, cursor-paginated."),
    retrieve=extend_schema(description="One of your rules (404 when it is not yours)."),
    create=extend_schema(
        description="Make a rule from one of your transactions (its merchant, else description) or from a "
        "text, and file every matching transaction under `category` now and in future syncs and imports "
        "(transactions whose category you picked by hand keep it).",
        request=RuleCreateSerializer,
        responses={201: RuleSerializer, 409: RULE_EXISTS},
    ),
    partial_update=extend_schema(
        description="Change a rule's category or label; the transactions it filed follow the new category.",
        request=RuleUpdateSerializer,
        responses=RuleSerializer,
    ),
    destroy=extend_schema(
        description="Delete a rule: the transactions it filed go back to their bank's category.",
        responses={204: None},
    ),
)
class RuleViewSet(
    KnownQueryParametersMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantGenericViewSet,
):
    serializer_class = RuleSerializer
    pagination_class = NewestFirst
    queryset = TransactionRule.objects.all()
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = RuleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        uid = user_id(request)
        data = body.validated_data
        if "transaction" in data:
            row = Transaction.objects.for_user(uid).filter(pk=data["transaction"]).first()
            if row is None:
                raise ValidationError({"transaction": ["No such transaction of yours."]})
            match_text, label = row.match_key, row.merchant_name or row.name
        else:
            match_text, label = data["match_text"], data["match_text"]
        try:
            saved = rule_create(
                user_id=uid,
                match_text=match_text,
                category=data["category"],
                label=data.get("label") or label,
            )
        except InvalidMatch:
            field = "transaction" if "transaction" in data else "match_text"
            raise ValidationError({field: ["There are no letters to match on."]}) from None
        except InvalidCategory as error:
            raise ValidationError({"category": [str(error)]}) from None
        except RuleExists as clash:
            raise ApiError(
                409,
                "rule_exists",
                f"You already have a rule for “{clash.rule.match_key}”.",
                {"rule": clash.rule.pk},
            ) from None
        return Response(RuleSerializer(saved.rule).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        body = RuleUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            saved = rule_update(user_id=user_id(request), rule_pk=rule.pk, **body.validated_data)
        except InvalidCategory as error:
            raise ValidationError({"category": [str(error)]}) from None
        return Response(RuleSerializer(saved.rule).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        rule_delete(user_id=user_id(request), rule_pk=rule.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
