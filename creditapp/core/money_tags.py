"""The `money` template library: figures in integer minor units, shown by creditapp.core.money."""

from __future__ import annotations

from django import template

from creditapp.core.money import UNKNOWN, format_money

register = template.Library()


@register.filter
def money(amount_minor: int | str | None, currency: str = "USD") -> str:
    """Integer minor units → '$1,234.56' (or '—' when unknown: None, or the template engine's "" for a
    figure the source left out, such as a credit report summary Experian gave no total for)."""
    if amount_minor is None or amount_minor == "":
        return UNKNOWN
    return format_money(int(amount_minor), currency)


@register.filter
def money_flow(amount_minor: int | str | None, currency: str = "USD") -> str:
    """Plaid's sign (positive = money out) shown as people read it: '-$12.00' spent, '+$50.00' received."""
    if amount_minor is None or amount_minor == "":
        return UNKNOWN
    amount = int(amount_minor)
    shown = format_money(-amount, currency)
    return shown if amount > 0 else "+" + shown
