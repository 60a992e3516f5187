from __future__ import annotations

from django import template

register = template.Library()

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


@register.filter
def money(amount_minor: int | None, currency: str = "USD") -> str:
    """Integer minor units → '$1,234.56' (or '—' when unknown)."""
    if amount_minor is None:
        return "—"
    sign = "-" if amount_minor < 0 else ""
    units, cents = divmod(abs(int(amount_minor)), 100)
    symbol = SYMBOLS.get(currency, f"{currency} ")
    return f"{sign}{symbol}{units:,}.{cents:02d}"


@register.filter
def money_flow(amount_minor: int | None, currency: str = "USD") -> str:
    """Plaid's sign (positive = money out) shown as people read it: '-$12.00' spent, '+$50.00' received."""
    if amount_minor is None:
        return "—"
    return money(-amount_minor, currency) if amount_minor > 0 else "+" + money(-amount_minor, currency)
