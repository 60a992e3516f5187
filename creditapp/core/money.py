"""Money: integer minor units beside an ISO 4217 code. The one place that knows a currency's exponent, so
vendor amounts come in, and figures go out to pages, emails and files, with that currency's own decimals
(¥1,000 has none, BHD 1.234 has three)."""

from __future__ import annotations

import copy
import unicodedata
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import cache

from babel import Locale
from babel.numbers import NumberPattern, format_currency, get_currency_symbol

LOCALE = "en_US"
UNKNOWN = "—"  # what a figure nobody gave us shows as

# ISO 4217 exponents that differ from 2. Stored amounts were scaled by these: change one and every stored
# amount in that currency changes meaning.
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


def _code(currency: str | None) -> str:
    return (currency or "USD").upper()


def currency_exponent(currency: str | None) -> int:
    """How many decimals the currency's minor unit has: 2 for USD, 0 for JPY, 3 for BHD."""
    return EXPONENTS.get(_code(currency), 2)


def to_minor(amount: float | str | Decimal | None, currency: str | None) -> int | None:
    """A decimal amount in major units (a vendor's float or string) → integer minor units."""
    if amount is None:
        return None
    scaled = Decimal(str(amount)).scaleb(currency_exponent(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def from_minor(amount_minor: int, currency: str | None) -> Decimal:
    """Integer minor units → the exact amount in major units: 1234 BHD → 1.234, 1000 JPY → 1000."""
    sign, digits, _ = Decimal(amount_minor).as_tuple()
    return Decimal((sign, digits, -currency_exponent(currency)))  # exact at any size, unlike scaleb


@cache
def _pattern(decimals: int) -> NumberPattern:
    """The locale's currency pattern with exactly `decimals` fraction digits: ours, not CLDR's, so a
    figure always shows every digit it was stored with."""
    pattern = copy.copy(Locale.parse(LOCALE).currency_formats["standard"])
    pattern.frac_prec = (decimals, decimals)
    return pattern


def format_money(amount_minor: int | None, currency: str | None, *, drop_zero_fraction: bool = False) -> str:
    """Integer minor units → '$1,234.56', '-€12.00', '¥1,000', 'BHD 1.234' ('—' for None).

    `drop_zero_fraction` shows a whole amount without its zeros ('$6', yet '$6.50'), as prices read."""
    if amount_minor is None:
        return UNKNOWN
    code = _code(currency)
    decimals = currency_exponent(code)
    if drop_zero_fraction and amount_minor % 10**decimals == 0:
        decimals = 0
    amount = from_minor(amount_minor, code)
    with localcontext() as context:
        context.prec = max(context.prec, len(amount.as_tuple().digits) + 2)  # Babel rounds in this context
        text = format_currency(amount, code, format=_pattern(decimals), locale=LOCALE, currency_digits=False)
    # CLDR's currency spacing, which Babel does not apply: a symbol that does not end in a symbol
    # character ('BHD', unlike '$' or 'CA$') is set apart from the digits.
    symbol = get_currency_symbol(code, LOCALE)
    if symbol and unicodedata.category(symbol[-1])[0] not in "SZ":
        text = text.replace(symbol, symbol + " ", 1)
    return text


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
