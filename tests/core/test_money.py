"""Money is integer minor units beside a currency code: each currency converts and shows with its own
decimals (USD 2, JPY 0, BHD 3), exactly, in both directions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from billing.views import PriceTag
from creditapp.core.money import format_money, from_minor, to_minor


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (123_456, "USD", "$1,234.56"),
        (-1_200, "USD", "-$12.00"),
        (0, "USD", "$0.00"),
        (5, "USD", "$0.05"),
        (123_456, "EUR", "€1,234.56"),
        (123_456, "GBP", "£1,234.56"),
        (123_456, "CAD", "CA$1,234.56"),
        (-123_456, "AUD", "-A$1,234.56"),
        (1_000, "JPY", "¥1,000"),
        (-1_000, "JPY", "-¥1,000"),
        (1_234, "BHD", "BHD 1.234"),
        (-1_234_567, "BHD", "-BHD 1,234.567"),
        (5, "KWD", "KWD 0.005"),
        (123_456, "CHF", "CHF 1,234.56"),  # a symbol of letters stands apart from the digits
        (1_000, "usd", "$10.00"),
        (1_000, None, "$10.00"),
        (2**63 - 1, "USD", "$92,233,720,368,547,758.07"),  # the largest bigint, every digit kept
    ],
)
def test_format_money_uses_each_currencys_own_decimals(minor: int, currency: str | None, shown: str) -> None:
    assert format_money(minor, currency) == shown


def test_an_unknown_figure_is_a_dash() -> None:
    assert format_money(None, "USD") == "—"


def test_a_whole_price_can_drop_its_zero_fraction() -> None:
    assert format_money(600, "USD", drop_zero_fraction=True) == "$6"
    assert format_money(650, "USD", drop_zero_fraction=True) == "$6.50"
    assert format_money(6_000, "BHD", drop_zero_fraction=True) == "BHD 6"
    assert format_money(1_000, "JPY", drop_zero_fraction=True) == "¥1,000"
    assert PriceTag(1_000, "JPY", "month").label == "¥1,000 / month"


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (123_456, "USD", "1234.56"),
        (-450, "USD", "-4.50"),
        (0, "USD", "0.00"),
        (1_000, "JPY", "1000"),
        (1_234, "BHD", "1.234"),
        (-5, "BHD", "-0.005"),
        (2**63 - 1, "USD", "92233720368547758.07"),  # the largest bigint
    ],
)
def test_from_minor_is_exact_and_keeps_the_currencys_decimals(minor: int, currency: str, amount: str) -> None:
    value = from_minor(minor, currency)
    assert isinstance(value, Decimal) and f"{value:f}" == amount
    assert to_minor(value, currency) == minor


def test_from_minor_is_exact_at_any_size() -> None:
    assert f"{from_minor(10**40 + 1, 'USD'):f}" == "1" + "0" * 38 + ".01"  # scaleb would round this


def test_to_minor_scales_by_the_currencys_exponent() -> None:
    assert to_minor("1234.56", "USD") == 123_456
    assert to_minor(1000, "JPY") == 1_000
    assert to_minor("1.234", "BHD") == 1_234
    assert to_minor(None, "USD") is None


def test_the_template_filters_wrap_format_money() -> None:
    template = Template(
        "{% load money %}{{ a|money:'USD' }} {{ b|money:'JPY' }} {{ c|money }} {{ d|money }}"
        " | {{ spent|money_flow:'USD' }} {{ got|money_flow:'USD' }} {{ yen|money_flow:'JPY' }}"
        " {{ fils|money_flow:'BHD' }} {{ c|money_flow }}"
    )
    context = Context({"a": 123_456, "b": 1_000, "c": None, "d": "", "spent": 1_200, "got": -5_000,
                       "yen": 1_000, "fils": -1_234})  # fmt: skip
    assert template.render(context) == ("$1,234.56 ¥1,000 — — | -$12.00 +$50.00 -¥1,000 +BHD 1.234 —")
