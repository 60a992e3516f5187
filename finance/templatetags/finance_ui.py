"""Filters for the app's pages: category names and percentages from basis points."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from finance.insights import categories

register = template.Library()


@register.filter
def category_label(primary: str | None) -> str:
    """FOOD_AND_DRINK → "Food and drink"; "" → "Uncategorised"."""
    return categories.primary_label(primary or "")


@register.filter
def subcategory_label(detailed: str | None) -> str:
    """FOOD_AND_DRINK_COFFEE → "Coffee"."""
    return categories.detailed_label(detailed or "")


@register.filter
def percent_bp(basis_points: int | None, decimals: int = 0) -> str:
    """Basis points as a percentage: 4123 → "41 %" (or "41.2 %" with decimals=1); None → "—"."""
    if basis_points is None:
        return "—"
    return f"{basis_points / 100:.{int(decimals)}f} %"


@register.filter
def bp_width(basis_points: int | None) -> str:
    """Basis points as an SVG width attribute ("41.23%"), clamped to the bar: a card over its limit
    fills the bar rather than overflowing it."""
    value = max(0, min(int(basis_points or 0), 10_000))
    return f"{value / 100:.2f}%"


@register.filter
def absolute(value: int | None) -> int | None:
    return abs(value) if value is not None else None


@register.filter
def apr_label(apr_type: str | None) -> str:
    """Plaid's APR type as words: "balance_transfer_apr" → "Balance transfer"."""
    words = (apr_type or "").removesuffix("_apr").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@register.filter
def ago(moment: datetime | None) -> str:
    """ "just now", "5 minutes ago", "2 days ago"."""
    if moment is None:
        return "never"
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, depth=1)} ago"
