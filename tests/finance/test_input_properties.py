"""Properties of the parsers of what people send: for any input each returns a valid value or raises
its own validation error, never anything else (which would be a server error)."""

from __future__ import annotations

import base64
import codecs
import contextlib
import csv
import io
import json
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from creditapp.api.pagination import Keyset
from creditapp.core.money import EXPONENTS, to_minor
from finance.api.views import NewestFirstCursor, TransactionFilter
from finance.banking import plaid
from finance.imports.decode import ENCODINGS, decode
from finance.imports.layout import (
    DATE_FORMATS,
    DELIMITERS,
    SIGNS,
    Layout,
    date_candidates,
    detect_layout,
    parse_amount,
    parse_date,
)
from finance.imports.limits import MAX_COLUMNS, MAX_REPORTED, UploadError
from finance.imports.parse import Parsed, parse_rows, preview_table
from finance.imports.views import LayoutForm
from finance.models import Transaction

SOME = settings(max_examples=200, deadline=None, database=None)
FEWER = settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
BIGINT = 2**63 - 1

# Text a URL or form can carry: any character but lone surrogates, which no UTF-8 request holds.
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.floats().map(str),
)


# --- the API's query parameters --------------------------------------------------------------------
def _request(**params: str) -> Request:
    return Request(APIRequestFactory().get("/api/v1/transactions/", params))


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


CURSOR_VALUES = st.one_of(TEXT, NUMBERS, st.dates().map(date.isoformat), st.booleans(), st.none())
CURSOR_FIELDS = st.dictionaries(
    st.sampled_from(["after", "backwards", "x"]),
    st.one_of(CURSOR_VALUES, st.lists(CURSOR_VALUES, max_size=3)),
    max_size=3,
)
CURSORS = st.one_of(
    TEXT,
    st.binary(max_size=40).map(_b64),
    CURSOR_FIELDS.map(lambda fields: _b64(json.dumps(fields).encode())),
)


def _keyset_cursor(after: list[str], backwards: bool = False) -> str:
    return _b64(json.dumps({"after": after, "backwards": backwards}).encode())


@SOME
@given(CURSORS)
def test_a_cursor_decodes_to_a_usable_position_or_a_400(value: str) -> None:
    try:
        keyset = NewestFirstCursor().keyset_of(_request(cursor=value), Transaction)
    except ValidationError as error:
        assert set(error.detail) == {"cursor"}  # type: ignore[arg-type]
        return
    if keyset is None:
        assert value == ""
        return
    day, pk = keyset.after
    assert isinstance(Transaction._meta.get_field("date").to_python(day), date) and isinstance(int(pk), int)
    assert isinstance(keyset.backwards, bool)


@SOME
@given(st.integers(1, 10**12), st.booleans(), st.dates())
def test_the_cursors_the_api_writes_read_back(pk: int, backwards: bool, day: date) -> None:
    paginator = NewestFirstCursor()
    paginator.base_url = "http://testserver/api/v1/transactions/"
    written = Keyset(after=(day.isoformat(), str(pk)), backwards=backwards)
    value = parse_qs(urlsplit(paginator.link_to(written)).query, keep_blank_values=True)["cursor"][0]
    assert paginator.keyset_of(_request(cursor=value), Transaction) == written


@SOME
@given(st.one_of(TEXT, NUMBERS))
def test_a_page_size_is_1_to_500_or_a_400(value: str) -> None:
    try:
        size = NewestFirstCursor().get_page_size(_request(page_size=value))
    except ValidationError as error:
        assert set(error.detail) == {"page_size"}  # type: ignore[arg-type]
        return
    assert 1 <= size <= 500


@SOME
@given(
    st.fixed_dictionaries(
        {}, optional={name: st.one_of(TEXT, NUMBERS) for name in ("date_from", "date_to", "account")}
    )
)
def test_the_filters_read_dates_and_whole_ids_or_say_why_not(data: dict[str, str]) -> None:
    filters = TransactionFilter(data, queryset=Transaction.objects.none())
    if not filters.is_valid():
        assert set(filters.errors) <= set(data)
        return
    cleaned = filters.form.cleaned_data
    assert all(isinstance(cleaned[name], date | None) for name in ("date_from", "date_to"))
    assert isinstance(cleaned["account"], int | None)


# --- Link's onSuccess metadata ---------------------------------------------------------------------
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)
INSTITUTION_VALUE = st.one_of(JSON, st.text(max_size=300), st.just("a\x00b"))
METADATA = st.one_of(
    TEXT,
    JSON.map(json.dumps),
    st.fixed_dictionaries(
        {
            "institution": st.one_of(
                JSON,
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": INSTITUTION_VALUE,
                        "institution_id": INSTITUTION_VALUE,
                    },
                ),
            )
        }
    ).map(json.dumps),
)


@SOME
@given(METADATA)
def test_link_metadata_gives_an_institution_or_a_link_metadata_error(raw: str) -> None:
    try:
        institution = plaid.link_institution(raw)
    except plaid.LinkMetadataError:
        return
    for value, limit in ((institution.institution_id, 50), (institution.name, 200)):
        assert isinstance(value, str) and len(value) <= limit and "\x00" not in value


# --- amounts and dates in a CSV ------------------------------------------------------------------------
AMOUNT_LIKE = st.from_regex(r"[ $€(+\-\u2212]{0,3}[0-9.,' ]{0,30}[)\-]?", fullmatch=True)
DATE_LIKE = st.builds(lambda day, fmt: day.strftime(fmt), st.dates(), st.sampled_from(list(DATE_FORMATS)))


@SOME
@given(st.one_of(AMOUNT_LIKE, NUMBERS, TEXT), st.sampled_from([".", ","]))
def test_an_amount_is_a_decimal_every_currency_can_hold_or_a_value_error(raw: str, decimal: str) -> None:
    try:
        value = parse_amount(raw, decimal)
    except ValueError:
        return
    if value is None:
        assert not raw.strip()
        return
    assert value.is_finite()
    for currency in ["USD", *EXPONENTS]:
        minor = to_minor(value, currency)
        assert minor is not None and -BIGINT <= minor <= BIGINT


@SOME
@given(st.one_of(DATE_LIKE, TEXT, NUMBERS), st.sampled_from(list(DATE_FORMATS)))
def test_a_date_is_a_date_or_a_value_error(raw: str, fmt: str) -> None:
    with contextlib.suppress(ValueError):
        assert isinstance(parse_date(raw, fmt), date)
    assert set(date_candidates([raw])) <= set(DATE_FORMATS)


# --- whole files -------------------------------------------------------------------------------------
CELL = st.one_of(
    DATE_LIKE, AMOUNT_LIKE, TEXT, st.sampled_from(["Date", "Description", "Amount", "Debit", "Credit"])
)
ROWS = st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=12)


BANK_DATES = st.dates(min_value=date(1901, 1, 1), max_value=date(2199, 12, 31))


@st.composite
def bank_like_rows(draw: st.DrawFn) -> list[list[str]]:
    """A header a bank would write over rows with one date format, amounts and junk mixed in."""
    header = draw(st.permutations(["Date", "Description", draw(st.sampled_from(["Amount", "Debit"]))]))
    fmt = draw(st.sampled_from(list(DATE_FORMATS)))
    cells = {
        # Mostly dates a bank writes (so a format is found), now and then anything.
        "Date": st.one_of(*[BANK_DATES.map(lambda day: day.strftime(fmt))] * 7, TEXT),
        "Description": TEXT,
        "Amount": st.one_of(
            AMOUNT_LIKE, NUMBERS, st.decimals(places=2, allow_nan=False, allow_infinity=False).map(str)
        ),
        "Debit": st.one_of(AMOUNT_LIKE, st.just("")),
    }
    rows = draw(st.lists(st.tuples(*(cells[name] for name in header)).map(list), min_size=1, max_size=15))
    return [header, *rows]


def _csv_bytes(rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding, errors="replace")


FILES = st.one_of(
    st.builds(_csv_bytes, bank_like_rows(), st.just(","), st.sampled_from(["utf-8", "utf-16", "cp1252"])),
    st.binary(max_size=600),
    st.builds(
        _csv_bytes,
        ROWS,
        st.sampled_from(DELIMITERS),
        st.sampled_from(["utf-8", "utf-16", "cp1252"]),
    ),
    st.binary(max_size=300).map(lambda raw: codecs.BOM_UTF16_LE + raw),
    st.integers(131_000, 132_000).map(lambda n: b"Date,Description,Amount\n2026-01-01," + b"x" * n + b",1\n"),
    st.builds(
        lambda header, rows: header + rows,
        st.sampled_from([b"Date,Description,Amount\n", b"Date;Description;Debit;Credit\n", b""]),
        st.binary(max_size=300),
    ),
)


def _check_parsed(parsed: Parsed) -> None:
    for row in parsed.rows:
        assert isinstance(row.day, date) and -BIGINT <= row.amount_minor <= BIGINT
        assert 0 < len(row.description) <= 300 and "\x00" not in row.description
    assert len(parsed.errors) <= MAX_REPORTED
    assert all(isinstance(error["reason"], str) for error in parsed.errors)


def _read(content: bytes, encoding: str | None, delimiter: str | None) -> Layout:
    text, used = decode(content, encoding)
    assert "\x00" not in text and used in ENCODINGS
    layout = detect_layout(text, used, delimiter)
    assert 0 < len(layout.columns) <= MAX_COLUMNS
    assert all(isinstance(row, list) for row in preview_table(text, layout))
    json.dumps(layout.as_json())  # it is stored as JSON
    return layout


@FEWER
@given(
    FILES,
    st.sampled_from([None, None, None, *ENCODINGS]),  # mostly as detected
    st.sampled_from([None, None, None, *DELIMITERS]),
    st.sampled_from(["USD", "JPY", "KWD"]),
)
def test_any_file_is_read_into_rows_or_refused_with_an_upload_error(
    content: bytes, encoding: str | None, delimiter: str | None, currency: str
) -> None:
    try:
        layout = _read(content, encoding, delimiter)
        text = decode(content, layout.encoding)[0]
        parsed = parse_rows(text, layout, currency=currency)
    except UploadError as error:
        assert 400 <= error.status < 500 and str(error)
        return
    _check_parsed(parsed)


MAPPING_VALUES = st.one_of(
    TEXT,
    st.integers(-2, 8).map(str),
    st.sampled_from(["", ".", ",", *DATE_FORMATS, *SIGNS, *ENCODINGS, *DELIMITERS]),
)
MAPPING = st.fixed_dictionaries(
    {},
    optional={
        name: MAPPING_VALUES
        for name in (
            "encoding",
            "delimiter",
            "date_column",
            "description_column",
            "amount_column",
            "debit_column",
            "credit_column",
            "date_format",
            "decimal",
            "sign",
        )
    },
)
SAMPLE = b"Date,Description,Amount,Balance\n2026-03-04,Cafe,-4.50,10\n2026-03-05,Pay,2500,2510\n"


@SOME
@given(MAPPING)
def test_the_mapping_form_gives_a_layout_that_parses_or_form_errors(data: dict[str, Any]) -> None:
    layout = _read(SAMPLE, None, None)
    form = LayoutForm(data, layout=layout)
    if not form.is_valid():
        assert form.errors
        return
    changed = form.updated(layout)
    try:
        parsed = parse_rows(decode(SAMPLE)[0], changed, currency="USD")
    except UploadError as error:
        assert changed.problems() and str(error)
        return
    _check_parsed(parsed)


def test_good_input_of_each_kind_is_accepted() -> None:
    """The properties above would also hold for parsers that refuse everything; these do not."""
    assert parse_amount("1,234.56") == Decimal("1234.56")
    assert plaid.link_institution('{"institution": {"name": "B", "institution_id": "i"}}').name == "B"
    layout = _read(SAMPLE, None, None)
    assert len(parse_rows(decode(SAMPLE)[0], layout, currency="USD").rows) == 2
    assert NewestFirstCursor().keyset_of(_request(cursor=_keyset_cursor(["2026-03-01", "7"])), Transaction)
