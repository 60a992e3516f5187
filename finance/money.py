"""Vendor amounts (decimal major units, as floats or strings) to integer minor units."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 exponents that differ from 2.
EXPONENTS = {
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    "CLP": 0,
    "ISK": 0,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
    "JOD": 3,
}


def to_minor(amount: float | str | Decimal | None, currency: str | None) -> int | None:
    if amount is None:
        return None
    exponent = EXPONENTS.get((currency or "USD").upper(), 2)
    scaled = Decimal(str(amount)).scaleb(exponent)
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def apr_to_bp(apr_percentage: float | None) -> int | None:
    """24.99 (%) → 2499 basis points."""
    if apr_percentage is None:
        return None
    return int((Decimal(str(apr_percentage)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def utilisation_bp(balance_minor: int | None, limit_minor: int | None) -> int | None:
    """Credit used as basis points of the limit (3000 = 30 %); a credit balance counts as 0."""
    if balance_minor is None or limit_minor is None or limit_minor <= 0:
        return None
    return max(0, balance_minor) * 10_000 // limit_minor
