"""What a bank CSV upload may hold, and how a refusal is worded (shared by decode, layout and parse)."""

from __future__ import annotations

import csv
from decimal import Decimal

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200
MAX_REPORTED = 200  # errors and skipped rows kept for the person to read
# Larger amounts are no bank's: with a currency's minor units (up to 3 digits) they must fit a BIGINT.
MAX_AMOUNT = Decimal(10) ** 15


class UploadError(ValueError):
    """The file cannot be imported at all; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def csv_problem(error: csv.Error, line: int) -> str:
    """The csv module's error, for a person (the one that bank-sized files meet is the field limit)."""
    if "field larger than field limit" in str(error):
        limit = csv.field_size_limit()
        return f"Line {line} has a field longer than {limit:,} characters, which no bank export has."
    return f"The CSV is malformed on line {line} ({error})."


def shown(raw: str, limit: int = 40) -> str:
    """A cell quoted in a message, shortened: messages are kept and shown, cells can be huge."""
    text = raw.strip()
    return f"“{text if len(text) <= limit else text[:limit] + '…'}”"
