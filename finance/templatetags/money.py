from __future__ import annotations

from django import template

register = template.Library()

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


@register.filter
def money(amount_minor: int | str | None, currency: str = "USD") -> str:
    """Integer minor units → '$1,234.56' (or '—' when unknown: None, or the template engine's "" for a
    figure the source left out, such as a credit report summary Experian gave no total for)."""
    if amount_minor is None or amount_minor == "":
        return "—"
    amount = int(amount_minor)
    sign = "-" if amount < 0 else ""
    units, cents = divmod(abs(amount), 100)
    symbol = SYMBOLS.get(currency, f"{currency} ")
    return f"{sign}{symbol}{units:,}.{cents:02d}"


@register.filter
def money_flow(amount_minor: int | str | None, currency: str = "USD") -> str:
    """Plaid's sign (positive = money out) shown as people read it: '-$12.00' spent, '+$50.00' received."""
    if amount_minor is None or amount_minor == "":
        return "—"
    amount = int(amount_minor)
    return money(-amount, currency) if amount > 0 else "+" + money(-amount, currency)
