"""Transaction filters read from a query string, for the transactions page and the REST API alike.

A filter set only parses and validates: its valid values become a `TransactionFilters`, and the selectors
(finance.insights.transactions) turn that into SQL: amounts as integer minor units, search as full-text
search (DESIGN §4). A value that does not parse is an error naming its parameter: the page shows it beside
the field and ignores that filter, the API answers 400.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import QuerySet

from creditapp.core.money import currency_exponent, to_minor
from finance.insights.categories import primary_choices, taxonomy
from finance.insights.transactions import (
    SORT_LABELS,
    UNCATEGORISED,
    TransactionFilters,
    transactions_matching,
)
from finance.models import Account, Transaction

MAX_AMOUNT = 1_000_000_000  # in major units; the largest minor amount this makes still fits a bigint
MAX_AMOUNT_MINOR = MAX_AMOUNT * 1000  # the same limit in minor units of a three-decimal currency


class IdFilter(django_filters.NumberFilter):
    """An id is a whole number: NumberFilter's decimals would read "1.5" as account 1."""

    field_class = forms.IntegerField


class BaseTransactionFilter(django_filters.FilterSet):
    """Reads its parameters into `TransactionFilters`; filtering a queryset goes through the selectors."""

    # query parameter → the TransactionFilters field it sets
    targets: ClassVar[dict[str, str]] = {}

    class Meta:
        model = Transaction
        fields: list[str] = []

    def value_of(self, name: str, value: Any) -> Any:
        """A cleaned value as TransactionFilters holds it."""
        return value

    def transaction_filters(self) -> TransactionFilters:
        """The valid parameters as filters; an invalid one is left out (its error is on the form)."""
        self.form.is_valid()  # cleaning fills cleaned_data with the valid fields (none when unbound)
        cleaned = getattr(self.form, "cleaned_data", {})
        return TransactionFilters(
            **{
                target: self.value_of(name, cleaned[name])
                for name, target in self.targets.items()
                if cleaned.get(name) not in (None, "")
            }
        )

    def filter_queryset(self, queryset: QuerySet[Transaction]) -> QuerySet[Transaction]:
        return transactions_matching(queryset, self.transaction_filters())


class DateInput(forms.DateInput):
    input_type = "date"


class RangesForm(forms.Form):
    """A filter form whose (low, high) pairs of fields must not run backwards: the high end is the error."""

    # (low field, high field, message)
    ranges: ClassVar[tuple[tuple[str, str, str], ...]] = ()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for low, high, message in self.ranges:
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                self.add_error(high, message)
        return data


BACKWARD_DATES = "The end date is before the start date."
BACKWARD_AMOUNTS = "The maximum is less than the minimum."


class TransactionFilterForm(RangesForm):
    """The page's form: ranges that run backwards are errors, and it knows whether any filter is on."""

    ranges = (("start", "end", BACKWARD_DATES), ("min", "max", BACKWARD_AMOUNTS))

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list (search and sort do not count)."""
        data = getattr(self, "cleaned_data", {})
        return any(data.get(name) not in (None, "") for name in self.fields if name not in ("sort", "q"))


def _category_choices() -> list[tuple[str, str]]:
    return [("", "All categories"), *primary_choices(), (UNCATEGORISED, "Uncategorised")]


class AmountFilter(django_filters.NumberFilter):
    """A size of amount, in or out, typed in major units of the person's currency."""

    def __init__(self, *, label: str) -> None:
        super().__init__(label=label, min_value=0, max_value=MAX_AMOUNT)

    def get_max_validator(self) -> None:
        return None  # max_value is the limit; NumberFilter's own 1e50 would only repeat the error


class TransactionPageFilter(BaseTransactionFilter):
    """The transactions page's filters, over the person's own accounts and in their currency."""

    q = django_filters.CharFilter(
        label="Search",
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": "Search transactions"}),
    )
    start = django_filters.DateFilter(label="From", widget=DateInput)
    end = django_filters.DateFilter(label="To", widget=DateInput)
    account = django_filters.TypedChoiceFilter(label="Account", coerce=int, empty_value=None)
    category = django_filters.TypedChoiceFilter(label="Category", choices=_category_choices)
    min = AmountFilter(label="Min amount")
    max = AmountFilter(label="Max amount")
    flow = django_filters.TypedChoiceFilter(
        label="Direction", choices=[("", "In and out"), ("out", "Money out"), ("in", "Money in")]
    )
    pending = django_filters.TypedChoiceFilter(
        label="Status", choices=[("", "Any status"), ("no", "Posted"), ("yes", "Pending")]
    )
    sort = django_filters.TypedChoiceFilter(label="Sort", choices=list(SORT_LABELS.items()))

    targets: ClassVar[dict[str, str]] = {
        "q": "query",
        "start": "start",
        "end": "end",
        "account": "account_id",
        "category": "category",
        "min": "min_minor",
        "max": "max_minor",
        "flow": "flow",
        "pending": "pending",
        "sort": "sort",
    }

    class Meta(BaseTransactionFilter.Meta):
        form = TransactionFilterForm

    def __init__(self, data: Any = None, *, accounts: list[Account], currency: str, **kwargs: Any) -> None:
        super().__init__(data, **kwargs)
        self.currency = currency
        self.filters["account"].extra["choices"] = [("", "All accounts")] + [(a.pk, str(a)) for a in accounts]
        decimals = currency_exponent(currency)
        for name in ("min", "max"):
            self.filters[name].extra.update(
                decimal_places=decimals,
                widget=forms.NumberInput(
                    attrs={
                        "inputmode": "decimal" if decimals else "numeric",
                        "placeholder": f"{0:.{decimals}f}",
                    }
                ),
            )

    def value_of(self, name: str, value: Any) -> Any:
        return to_minor(value, self.currency) if name in ("min", "max") else value


# --- the REST API's filters -----------------------------------------------------------------------
class ApiTransactionFilterForm(RangesForm):
    ranges = (
        ("date_from", "date_to", BACKWARD_DATES),
        ("min_amount_minor", "max_amount_minor", BACKWARD_AMOUNTS),
    )


def _api_category_choices() -> list[tuple[str, str]]:
    codes = [(UNCATEGORISED, "Uncategorised")]
    for category in taxonomy():
        codes.append((category.primary, category.label))
        codes += [(code, f"{category.label}: {label}") for code, label in category.detailed]
    return codes


class AmountMinorFilter(django_filters.NumberFilter):
    """A size of amount, in or out, in whole minor units."""

    field_class = forms.IntegerField

    def __init__(self, *, label: str) -> None:
        super().__init__(label=label, min_value=0, max_value=MAX_AMOUNT_MINOR)


class TransactionFilter(BaseTransactionFilter):
    """The API's filters: the page's, named for programs. Every value is checked; one that does not
    parse is a 400 naming its parameter, never a filter quietly left out."""

    q = django_filters.CharFilter(
        label="Full-text search of the description, merchant and bank category, as on the transactions page "
        '(web-search syntax: `coffee -starbucks`, `"whole foods"`, `uber or lyft`).',
        max_length=200,
    )
    category = django_filters.ChoiceFilter(
        label="Only this category, as the app files the transaction (your choice or a rule's, else the "
        f"bank's): a primary code (`FOOD_AND_DRINK`), a detailed code (`FOOD_AND_DRINK_COFFEE`) or "
        f"`{UNCATEGORISED}` for no category. The codes are listed by `/api/v1/categories/`.",
        choices=_api_category_choices(),
    )
    min_amount_minor = AmountMinorFilter(
        label="Smallest size of the amount, in or out, in minor units (500 matches -5.00 and +5.00 and "
        "bigger amounts); combine with `flow`."
    )
    max_amount_minor = AmountMinorFilter(label="Largest size of the amount, in or out, in minor units.")
    flow = django_filters.ChoiceFilter(
        label="`out` for money out (negative amounts), `in` for money in.",
        choices=[("out", "Money out"), ("in", "Money in")],
    )
    date_from = django_filters.DateFilter(label="On or after this date (YYYY-MM-DD).")
    date_to = django_filters.DateFilter(label="On or before this date (YYYY-MM-DD).")
    account = IdFilter(label="Only this account's id.")
    pending = django_filters.ChoiceFilter(
        label="`true` for pending transactions only, `false` for posted ones only.",
        choices=[("true", "Pending"), ("false", "Posted")],
    )

    targets: ClassVar[dict[str, str]] = {
        "q": "query",
        "category": "category",
        "min_amount_minor": "min_minor",
        "max_amount_minor": "max_minor",
        "flow": "flow",
        "date_from": "start",
        "date_to": "end",
        "account": "account_id",
        "pending": "pending",
    }

    class Meta(BaseTransactionFilter.Meta):
        form = ApiTransactionFilterForm

    def value_of(self, name: str, value: Any) -> Any:
        if name == "pending":
            return "yes" if value == "true" else "no"
        return value
