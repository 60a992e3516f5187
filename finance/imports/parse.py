"""A bank CSV's rows, read with its Layout: pure functions (no database), used by finance.imports.services.

Amounts become integer minor units with Plaid's sign (positive = money out). A row without a date or
without any amount (balance lines, totals) is skipped and reported; a row whose date or amount cannot
be read is an error, and any error stops the whole import (nothing is imported).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from creditapp.core.money import to_minor
from finance.imports.layout import DATE_FORMATS, Layout, parse_amount, parse_date
from finance.imports.limits import MAX_REPORTED, MAX_ROWS, UploadError, csv_problem, shown

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class ParsedRow:
    line: int
    day: date
    description: str
    amount_minor: int  # Plaid's sign: positive = money out


@dataclass
class Parsed:
    rows: list[ParsedRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"line", "reason"}
    skipped: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    skipped_count: int = 0

    def error(self, line: int, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append({"line": line, "reason": reason})

    def skip(self, line: int, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < MAX_REPORTED:
            self.skipped.append({"line": line, "reason": reason})


def _cell(row: list[str], index: int | None) -> str:
    return row[index].strip() if index is not None and index < len(row) else ""


def parse_rows(
    text: str,
    layout: Layout,
    *,
    currency: str,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Parsed:
    """Every data row after the header: parsed rows, errors and skipped rows, each with its line number.
    `limit` stops after that many data rows (the preview). Raises UploadError past MAX_ROWS."""
    problems = layout.problems()
    if problems:
        raise UploadError(" ".join(problems))
    parsed = Parsed()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    seen = 0
    try:
        for row in reader:
            line = reader.line_num
            if line <= layout.header_line or not any(cell.strip() for cell in row):
                continue
            seen += 1
            if seen > MAX_ROWS:
                raise UploadError(
                    f"The file has more than {MAX_ROWS:,} rows. Split it into smaller files.", 413
                )
            if limit is not None and seen > limit:
                break
            if progress is not None and seen % 1000 == 0:
                progress(seen)
            _parse_row(row, line, layout, currency, parsed)
    except csv.Error as error:
        parsed.error(reader.line_num, csv_problem(error, reader.line_num))
    return parsed


def _parse_row(row: list[str], line: int, layout: Layout, currency: str, parsed: Parsed) -> None:
    raw_date = _cell(row, layout.date_column)
    if not raw_date:
        parsed.skip(line, "No date: not a transaction (a note or a total?)")
        return
    try:
        day = parse_date(raw_date, layout.date_format)
    except ValueError:
        parsed.error(line, f"{shown(raw_date)} is not a date written as {DATE_FORMATS[layout.date_format]}.")
        return
    try:
        amount = _row_amount(row, layout)
    except ValueError as error:
        parsed.error(line, f"{error}.")
        return
    if amount is None:
        parsed.skip(line, "No amount (a balance line?)")
        return
    minor = to_minor(amount, currency)
    assert minor is not None
    description = " ".join(_cell(row, layout.description_column).split())[:300] or "Transaction"
    parsed.rows.append(ParsedRow(line, day, description, minor))


def _row_amount(row: list[str], layout: Layout) -> Decimal | None:
    """The amount with Plaid's sign (positive = money out), or None when the row has none."""
    if layout.amount_column is not None:
        value = parse_amount(_cell(row, layout.amount_column), layout.decimal)
        if value is None:
            return None
        return -value if layout.sign == "negative_out" else value
    debit = parse_amount(_cell(row, layout.debit_column), layout.decimal)
    credit = parse_amount(_cell(row, layout.credit_column), layout.decimal)
    if debit is None and credit is None:
        return None
    return abs(debit or Decimal(0)) - abs(credit or Decimal(0))


def preview_table(text: str, layout: Layout, rows: int = PREVIEW_ROWS) -> list[list[str]]:
    """The first data rows as the file has them (for the mapping page)."""
    out = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=layout.delimiter)
    try:
        for row in reader:
            if reader.line_num <= layout.header_line or not any(cell.strip() for cell in row):
                continue
            out.append(row)
            if len(out) >= rows:
                break
    except csv.Error:
        pass
    return out
