"""How a bank CSV is laid out: pure functions (no database), used by finance.imports.services.

Banks export in many shapes. What is detected, and can be changed by the person before importing
(the encoding too, see finance.imports.decode):

* separator: `,` `;` tab or `|`, whichever splits the first lines into the most consistent columns;
* the header row: the first of the first 30 rows naming a date and an amount (some banks, such as Bank
  of America, put a summary above it); a file without one gets "Column 1", "Column 2"...;
* columns: date, description, and either one signed amount or separate debit and credit columns;
* date format: ISO, MM/DD/YYYY, DD/MM/YYYY, DD.MM.YYYY and a few more; when every date reads both
  ways (all days ≤ 12) the format is *ambiguous* and the person has to choose;
* decimal comma ("1.234,56") versus decimal point ("1,234.56");
* sign: whether money out is negative (most banks) or positive (some card issuers, e.g. Amex), from
  which sign most amounts have; debit/credit columns need no sign.

Reading one cell (an amount, a date) lives here too: detecting the formats means trying them on cells.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from finance.imports.limits import MAX_AMOUNT, MAX_COLUMNS, UploadError, csv_problem, shown

HEADER_SCAN_ROWS = 30
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "Comma (,)", ";": "Semicolon (;)", "\t": "Tab", "|": "Pipe (|)"}

# strptime format → how it is offered to the person.
DATE_FORMATS = {
    "%Y-%m-%d": "2024-03-31 (year-month-day)",
    "%m/%d/%Y": "03/31/2024 (month/day/year)",
    "%d/%m/%Y": "31/03/2024 (day/month/year)",
    "%m/%d/%y": "03/31/24 (month/day/year)",
    "%d/%m/%y": "31/03/24 (day/month/year)",
    "%d.%m.%Y": "31.03.2024 (day.month.year)",
    "%Y/%m/%d": "2024/03/31 (year/month/day)",
    "%m-%d-%Y": "03-31-2024 (month-day-year)",
    "%d-%m-%Y": "31-03-2024 (day-month-year)",
    "%d %b %Y": "31 Mar 2024",
    "%d-%b-%Y": "31-Mar-2024",
    "%b %d, %Y": "Mar 31, 2024",
    "%Y%m%d": "20240331",
}
SIGNS = {
    "negative_out": "Negative is money out (-12.50)",
    "positive_out": "Positive is money out (12.50)",
}

DATE_NAMES = (
    "date",
    "posted date",
    "posting date",
    "post date",
    "transaction date",
    "trans. date",
    "trans date",
    "booking date",
    "value date",
)
DESCRIPTION_NAMES = (
    "description",
    "payee",
    "merchant",
    "name",
    "transaction description",
    "narrative",
    "memo",
    "details",
    "reference",
)
AMOUNT_NAMES = ("amount", "transaction amount", "amount (usd)", "value")
DEBIT_NAMES = (
    "debit",
    "debit amount",
    "debits",
    "withdrawal",
    "withdrawals",
    "money out",
    "paid out",
    "outflow",
)
CREDIT_NAMES = ("credit", "credit amount", "credits", "deposit", "deposits", "money in", "paid in", "inflow")


@dataclass
class Layout:
    encoding: str
    delimiter: str
    header_line: int  # 1-based line of the header row; 0 = no header row
    columns: list[str]
    date_column: int | None
    description_column: int | None
    amount_column: int | None = None
    debit_column: int | None = None
    credit_column: int | None = None
    date_format: str = ""  # "" while ambiguous and not yet chosen
    date_candidates: list[str] = field(default_factory=list)  # the formats every sampled date fits
    decimal: str = "."
    sign: str = "negative_out"

    @property
    def date_ambiguous(self) -> bool:
        return len(self.date_candidates) > 1

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Layout:
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def problems(self) -> list[str]:
        """What still stops an import with this layout."""
        found = []
        if self.date_column is None:
            found.append("Choose the column with the dates.")
        if self.description_column is None:
            found.append("Choose the column with the descriptions.")
        if self.amount_column is None and self.debit_column is None and self.credit_column is None:
            found.append("Choose the amount column, or the debit and credit columns.")
        if self.date_column is not None and not self.date_format:
            found.append(
                "Choose how the dates are written: they read correctly more than one way."
                if self.date_ambiguous
                else "Choose how the dates are written: we couldn't recognise the format."
            )
        return found


# --- cells ----------------------------------------------------------------------------------------
_AMOUNT_JUNK = re.compile(r"[\s$€£¥\u00a0'A-Za-z]")


def parse_amount(raw: str, decimal: str = ".") -> Decimal | None:
    """'1,234.56' / '-12.00' / '(12.00)' / '12.00-' / '$1,234' → Decimal; '' → None. Raises ValueError."""
    text = raw.strip()
    if not text:
        return None
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    text = _AMOUNT_JUNK.sub("", text)
    if text.endswith("-"):
        negative, text = not negative, text[:-1]
    if text.startswith("-") or text.startswith("\u2212"):
        negative, text = not negative, text[1:]
    elif text.startswith("+"):
        text = text[1:]
    text = text.replace(".", "").replace(",", ".") if decimal == "," else text.replace(",", "")
    if not text or not re.fullmatch(r"\d+(\.\d+)?|\.\d+", text):
        raise ValueError(f"{shown(raw)} is not an amount")
    try:
        value = Decimal(text)
    except InvalidOperation as error:
        raise ValueError(f"{shown(raw)} is not an amount") from error
    if value >= MAX_AMOUNT:
        raise ValueError(f"{shown(raw)} is too large to be an amount")
    return -value if negative else value


def _clean_date(raw: str, fmt: str) -> str:
    text = raw.strip()
    if " " not in fmt:
        text = text.split(" ")[0].split("T")[0]
    return text


def parse_date(raw: str, fmt: str) -> date:
    return datetime.strptime(_clean_date(raw, fmt), fmt).date()


def date_candidates(values: list[str], *, strict: bool = False) -> list[str]:
    """The formats that read the most sampled dates, in DATE_FORMATS order. A few unreadable cells (two,
    or a tenth) are allowed, since they are reported as their rows' errors later; `strict` allows none.
    More than one format means the dates are ambiguous; formats that read every date alike count once."""
    samples = [v for v in values if v.strip()]
    if not samples:
        return []
    readings: dict[str, tuple[date | None, ...]] = {}
    for fmt in DATE_FORMATS:
        days: list[date | None] = []
        for value in samples:
            try:
                day: date | None = parse_date(value, fmt)
            except ValueError:
                day = None
            # Two-digit years read by a four-digit format come out as year 24: not a reading.
            days.append(day if day is not None and 1900 < day.year < 2200 else None)
        readings[fmt] = tuple(days)
    best = max(sum(day is not None for day in days) for days in readings.values())
    allowed = 0 if strict else max(2, len(samples) // 10)
    if best == 0 or best < len(samples) - allowed:
        return []
    distinct: dict[tuple[date | None, ...], str] = {}
    for fmt, reading in readings.items():
        if sum(day is not None for day in reading) == best:
            distinct.setdefault(reading, fmt)
    return list(distinct.values())


def _looks_like_amount(value: str, decimal: str) -> bool:
    try:
        return parse_amount(value, decimal) is not None
    except ValueError:
        return False


# --- the layout -----------------------------------------------------------------------------------
def _reader(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


def detect_delimiter(text: str) -> str:
    """The separator that splits the first lines into the most rows of one (largest) column count."""
    sample = "\n".join(text.splitlines()[:60])
    best, best_key = ",", (-1, -1)
    for delimiter in DELIMITERS:
        try:
            counts = Counter(
                len(row) for row in _reader(sample, delimiter) if any(cell.strip() for cell in row)
            )
        except csv.Error:
            continue
        if not counts:
            continue
        width, rows = max(counts.items(), key=lambda item: (item[1], item[0]))
        key = (rows if width > 1 else 0, width)
        if key > best_key:
            best, best_key = delimiter, key
    return best


def _find(names: list[str], wanted: tuple[str, ...], taken: set[int]) -> int | None:
    lowered = [re.sub(r"\s+", " ", name.strip().lower()) for name in names]
    for want in wanted:
        for index, name in enumerate(lowered):
            if index not in taken and name == want:
                return index
    for want in wanted[:1]:  # then anything containing the main word ("Posting Date", "Amount (EUR)")
        for index, name in enumerate(lowered):
            if index not in taken and want in name and "balance" not in name:
                return index
    return None


def _header_index(rows: list[list[str]]) -> int | None:
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        taken: set[int] = set()
        date_col = _find(row, DATE_NAMES, taken)
        money = [_find(row, names, taken) for names in (AMOUNT_NAMES, DEBIT_NAMES, CREDIT_NAMES)]
        if date_col is not None and any(col is not None for col in money):
            return index
    return None


def _detect_decimal(values: list[str]) -> str:
    comma = sum(bool(re.search(r"\d,\d{1,2}\)?-?$", v.strip())) for v in values)
    point = sum(bool(re.search(r"\d\.\d{1,2}\)?-?$", v.strip())) for v in values)
    return "," if comma > point else "."


def detect_layout(text: str, encoding: str, delimiter: str | None = None) -> Layout:
    delimiter = delimiter or detect_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        rows = list(itertools.islice(reader, HEADER_SCAN_ROWS + 200))
    except csv.Error as error:
        raise UploadError(csv_problem(error, reader.line_num)) from None
    non_empty = [row for row in rows if any(cell.strip() for cell in row)]
    if not non_empty:
        raise UploadError("The file has no rows.")
    header = _header_index(rows)
    if header is not None:
        columns = [name.strip() or f"Column {i + 1}" for i, name in enumerate(rows[header])]
        data = rows[header + 1 :]
        taken: set[int] = set()

        def find(names: tuple[str, ...]) -> int | None:
            found = _find(columns, names, taken)
            if found is not None:
                taken.add(found)
            return found

        date_col = find(DATE_NAMES)
        amount_col = find(AMOUNT_NAMES)
        debit_col = find(DEBIT_NAMES) if amount_col is None else None
        credit_col = find(CREDIT_NAMES) if amount_col is None else None
        description_col = find(DESCRIPTION_NAMES)
    else:
        width = max(len(row) for row in non_empty)
        # A header in words we don't know ("Datum;Omschrijving;Bedrag"): a first row with no date or
        # amount in it, above rows that have both.
        first = non_empty[0]
        titled = len(non_empty) > 1 and not any(_is_data_cell(cell) for cell in first)
        data = rows[rows.index(first) + 1 :] if titled else rows
        columns = [
            (first[i].strip() if titled and i < len(first) else "") or f"Column {i + 1}" for i in range(width)
        ]
        header = rows.index(first) if titled else None
        date_col, amount_col, debit_col, credit_col, description_col = _guess_by_content(data, width)
    if len(columns) > MAX_COLUMNS:
        raise UploadError(
            f"The file has {len(columns):,} columns; a bank export has a handful. Is it the right file?"
        )
    data = [row for row in data if any(cell.strip() for cell in row)][:200]
    if not data:
        raise UploadError("The file has a header row but no transactions under it.")

    def cells(col: int | None) -> list[str]:
        return [row[col] for row in data if col is not None and col < len(row)]

    money_cells = cells(amount_col) + cells(debit_col) + cells(credit_col)
    decimal = _detect_decimal(money_cells)
    candidates = date_candidates(cells(date_col)) if date_col is not None else []
    sign = "negative_out"
    if amount_col is not None:
        values = [v for v in (_safe_amount(c, decimal) for c in cells(amount_col)) if v]
        if values and sum(v > 0 for v in values) > sum(v < 0 for v in values):
            sign = "positive_out"
    return Layout(
        encoding=encoding,
        delimiter=delimiter,
        header_line=(header + 1) if header is not None else 0,
        columns=columns,
        date_column=date_col,
        description_column=description_col,
        amount_column=amount_col,
        debit_column=debit_col,
        credit_column=credit_col,
        date_format=candidates[0] if len(candidates) == 1 else "",
        date_candidates=candidates,
        decimal=decimal,
        sign=sign,
    )


def _is_data_cell(cell: str) -> bool:
    return bool(cell.strip()) and (
        bool(date_candidates([cell], strict=True)) or _safe_amount(cell, ".") is not None
    )


def _safe_amount(value: str, decimal: str) -> Decimal | None:
    try:
        return parse_amount(value, decimal)
    except ValueError:
        return None


def _guess_by_content(
    data: list[list[str]], width: int
) -> tuple[int | None, int | None, int | None, int | None, int | None]:
    """No header: the date column is the first whose cells read as dates, the amount the first numeric
    one, the description the column with the most text."""
    sample = [row for row in data if any(c.strip() for c in row)][:50]

    def column(i: int) -> list[str]:
        return [row[i] for row in sample if i < len(row)]

    date_col = next((i for i in range(width) if column(i) and date_candidates(column(i), strict=True)), None)
    numeric = [
        i
        for i in range(width)
        if i != date_col
        and column(i)
        and all(_looks_like_amount(v, ".") or _looks_like_amount(v, ",") for v in column(i) if v.strip())
        and any(v.strip() for v in column(i))
    ]
    amount_col = numeric[0] if numeric else None  # a running balance, if any, usually comes after
    texts = [i for i in range(width) if i not in (date_col, *numeric)]
    description_col = max(texts, key=lambda i: sum(len(v) for v in column(i)), default=None)
    return date_col, amount_col, None, None, description_col
