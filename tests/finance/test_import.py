"""CSV import: reading bank layouts, the review page, all-or-nothing imports, duplicates and tenancy."""

from __future__ import annotations

import codecs
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.imports.decode import decode
from finance.imports.layout import Layout, detect_layout, parse_amount
from finance.imports.limits import MAX_BYTES, MAX_ROWS, UploadError
from finance.imports.parse import parse_rows
from finance.imports.services import Destination, import_job_create, import_job_enqueue, import_job_run
from finance.models import Account, ImportJob, Transaction, TransactionRule
from tests.accounts.factories import UserFactory
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

CHASE_CHECKING = (
    b"Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    b'DEBIT,10/16/2026,"CORNER CAFE, NYC",-4.50,DEBIT_CARD,1000.00,,\n'
    b"DEBIT,10/16/2026,CORNER CAFE,-4.50,DEBIT_CARD,995.50,,\n"
    b"DEBIT,10/16/2026,CORNER CAFE,-4.50,DEBIT_CARD,991.00,,\n"
    b'CREDIT,10/15/2026,ACME PAYROLL,"2,500.00",ACH_CREDIT,1004.50,,\n'
)
BANK_OF_AMERICA = (
    b"Description,,Summary Amt.\n"
    b'Beginning balance as of 01/01/2026,,"1,000.00"\n'
    b'Total credits,,"2,500.00"\n'
    b"\n"
    b"Date,Description,Amount,Running Bal.\n"
    b'01/01/2026,Beginning balance as of 01/01/2026,,"1,000.00"\n'
    b'01/02/2026,"COFFEE SHOP","-4.50","995.50"\n'
    b'01/15/2026,"PAYROLL","2,500.00","3,495.50"\n'
)


def read(content: bytes) -> Layout:
    text, encoding = decode(content)
    return detect_layout(text, encoding)


def named(layout: Layout, column: int | None) -> str:
    return layout.columns[column] if column is not None else "(none)"


def amounts(content: bytes, **changes: object) -> list[tuple[int, str, int]]:
    """(line, ISO date, Plaid-signed minor amount) of each row, after applying layout `changes`."""
    text, encoding = decode(content)
    layout = detect_layout(text, encoding)
    for name, value in changes.items():
        setattr(layout, name, value)
    parsed = parse_rows(text, layout, currency="USD")
    assert parsed.errors == []
    return [(row.line, row.day.isoformat(), row.amount_minor) for row in parsed.rows]


# --- reading files --------------------------------------------------------------------------------
def test_chase_checking_export_is_read_as_is() -> None:
    layout = read(CHASE_CHECKING)
    assert (layout.delimiter, layout.header_line, layout.date_format, layout.sign) == (
        ",",
        1,
        "%m/%d/%Y",
        "negative_out",
    )
    assert [
        named(layout, i) for i in (layout.date_column, layout.description_column, layout.amount_column)
    ] == [
        "Posting Date",
        "Description",
        "Amount",
    ]
    assert amounts(CHASE_CHECKING) == [
        (2, "2026-10-16", 450),
        (3, "2026-10-16", 450),
        (4, "2026-10-16", 450),
        (5, "2026-10-15", -250_000),
    ]


def test_bank_of_america_summary_lines_are_skipped_and_reported() -> None:
    layout = read(BANK_OF_AMERICA)
    assert layout.header_line == 5
    text, _ = decode(BANK_OF_AMERICA)
    parsed = parse_rows(text, layout, currency="USD")
    assert [(row.line, row.amount_minor) for row in parsed.rows] == [(7, 450), (8, -250_000)]
    assert parsed.skipped == [{"line": 6, "reason": "No amount (a balance line?)"}]


def test_positive_is_spend_layouts_and_debit_credit_columns() -> None:
    amex = b"Date,Description,Amount\n03/14/2026,UBER TRIP,23.10\n03/13/2026,DELTA,450.00\n"
    amex += b"03/12/2026,PAYMENT,-500.00\n"
    assert read(amex).sign == "positive_out"
    assert [a for _, _, a in amounts(amex)] == [2_310, 45_000, -50_000]
    assert [a for _, _, a in amounts(amex, sign="negative_out")] == [-2_310, -45_000, 50_000]
    capital_one = (
        b"Transaction Date,Posted Date,Card No.,Description,Category,Debit,Credit\n"
        b"2026-03-14,2026-03-15,1234,COFFEE,Dining,4.50,\n2026-03-16,2026-03-16,1234,PAYMENT,,,100.00\n"
    )
    layout = read(capital_one)
    assert (
        layout.amount_column,
        named(layout, layout.debit_column),
        named(layout, layout.credit_column),
    ) == (
        None,
        "Debit",
        "Credit",
    )
    assert named(layout, layout.date_column) == "Posted Date"
    assert amounts(capital_one) == [(2, "2026-03-15", 450), (3, "2026-03-16", -10_000)]


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        ("Date,Description,Amount\n2026-03-14,Café Crème,-4.50\n".encode(), "utf-8-sig"),
        (codecs.BOM_UTF8 + "Date,Description,Amount\n2026-03-14,Café Crème,-4.50\n".encode(), "utf-8-sig"),
        ("Date,Description,Amount\n2026-03-14,Café Crème,-4.50\n".encode("utf-16"), "utf-16"),
        ("Date,Description,Amount\n2026-03-14,Café Crème,-4.50\n".encode("cp1252"), "cp1252"),
        (b"Date,Description,Amount\n2026-03-14,Caf\xe9 \x81,-4.50\n", "latin-1"),  # 0x81 is not cp1252
    ],
)
def test_encodings(content: bytes, encoding: str) -> None:
    text, found = decode(content)
    assert found == encoding
    parsed = parse_rows(text, detect_layout(text, found), currency="USD")
    assert parsed.rows[0].description.startswith("Café") and parsed.rows[0].amount_minor == 450


@pytest.mark.parametrize("separator", [",", ";", "\t", "|"])
def test_separators(separator: str) -> None:
    content = separator.join(["Date", "Description", "Amount"]) + "\n"
    content += (
        separator.join(["2026-03-14", "Shop, the big one" if separator != "," else "Shop", "-12.00"]) + "\n"
    )
    layout = read(content.encode())
    assert layout.delimiter == separator
    assert amounts(content.encode()) == [(2, "2026-03-14", 1_200)]


def test_european_layout_with_decimal_commas_and_a_header_in_other_words() -> None:
    content = (
        "Datum;Omschrijving;Bedrag\n31.03.2026;Albert Heijn;-12,50\n01.04.2026;Salaris;2.500,00\n".encode(
            "cp1252"
        )
    )
    layout = read(content)
    assert (layout.delimiter, layout.decimal, layout.date_format, layout.header_line) == (
        ";",
        ",",
        "%d.%m.%Y",
        1,
    )
    assert amounts(content) == [(2, "2026-03-31", 1_250), (3, "2026-04-01", -250_000)]


def test_ambiguous_dates_are_asked_about_then_read_the_chosen_way() -> None:
    content = b"Date,Description,Debit,Credit\n01/02/2026,Coffee,4.50,\n03/04/2026,Salary,,2000.00\n"
    layout = read(content)
    assert layout.date_ambiguous and layout.date_format == ""
    assert layout.date_candidates == ["%m/%d/%Y", "%d/%m/%Y"]
    assert "more than one way" in layout.problems()[0]
    with pytest.raises(UploadError):
        parse_rows(decode(content)[0], layout, currency="USD")
    assert [d for _, d, _ in amounts(content, date_format="%m/%d/%Y")] == ["2026-01-02", "2026-03-04"]
    assert [d for _, d, _ in amounts(content, date_format="%d/%m/%Y")] == ["2026-02-01", "2026-04-03"]
    # One unambiguous date settles it for the whole file.
    assert read(content + b"12/25/2026,Gift,50.00,\n").date_format == "%m/%d/%Y"


def test_files_without_a_header_are_read_by_their_content() -> None:
    content = b"03/14/2026,-4.50,*,,STARBUCKS STORE\n03/15/2026,1200.00,*,,PAYROLL DEPOSIT\n"
    layout = read(content)
    assert (layout.header_line, layout.date_column, layout.amount_column, layout.description_column) == (
        0,
        0,
        1,
        4,
    )
    assert amounts(content) == [(1, "2026-03-14", 450), (2, "2026-03-15", -120_000)]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.56", "1234.56"),
        ("-12.00", "-12.00"),
        ("(12.00)", "-12.00"),
        ("12.00-", "-12.00"),
        ("$1,234", "1234"),
        ("+3.5", "3.5"),
        ("€ 7.25", "7.25"),
        ("", None),
    ],
)
def test_amount_formats(raw: str, expected: str | None) -> None:
    value = parse_amount(raw)
    assert (str(value) if value is not None else None) == expected


def test_bad_rows_are_reported_with_line_numbers() -> None:
    content = b"Date,Description,Amount\n2026-03-14,Ok,-1.00\n2026-13-40,Bad date,-1.00\n"
    content += b",Total,-2.00\n2026-03-15,Bad amount,abc\n"
    text, encoding = decode(content)
    parsed = parse_rows(text, detect_layout(text, encoding), currency="USD")
    assert [row.line for row in parsed.rows] == [2]
    assert [error["line"] for error in parsed.errors] == [3, 5]
    assert "is not a date" in parsed.errors[0]["reason"] and "is not an amount" in parsed.errors[1]["reason"]
    assert parsed.skipped == [{"line": 4, "reason": "No date: not a transaction (a note or a total?)"}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"PK\x03\x04rest-of-a-zip", "Excel"),
        (b"\x00\x01\x02binary", "binary"),
        (b"Date,Description,Amount\n", "no transactions"),
    ],
)
def test_files_that_cannot_be_imported_at_all(content: bytes, message: str) -> None:
    with pytest.raises(UploadError, match=message):
        read(content)


# --- importing ------------------------------------------------------------------------------------
def queue_and_run(user_id: int, job: ImportJob) -> ImportJob | None:
    with tenant_context(user_id):
        import_job_enqueue(user_id=user_id, job_pk=job.pk)
    with tenant_binding(user_id):
        return import_job_run(user_id=user_id, job_pk=job.pk)


def test_import_all_rows_then_a_second_time_only_new_ones(enqueued) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    with tenant_context(user.pk):
        job = import_job_create(
            user_id=user.pk,
            filename="chase.csv",
            content=CHASE_CHECKING,
            destination=Destination(new_name="Chase checking"),
            currency="USD",
        )
        TransactionRule.objects.create(
            user_id=user.pk,
            match_key="acme payroll",
            label="ACME",
            category_primary="INCOME",
            category_detailed="INCOME_SALARY",
        )
        import_job_enqueue(user_id=user.pk, job_pk=job.pk)
    assert enqueued() == ["finance.imports.run"]
    with tenant_binding(user.pk):
        done = import_job_run(user_id=user.pk, job_pk=job.pk)
    assert done is not None and (done.status, done.imported_count, done.duplicate_count) == (
        "succeeded",
        4,
        0,
    )
    with tenant_context(user.pk):
        account = Account.objects.get(pk=done.account_id or 0)
        assert (account.name, account.type, account.item_id) == ("Chase checking", "depository", None)
        rows = list(Transaction.objects.filter(account=account).order_by("date", "id"))
        # The three identical coffees on one day are three purchases, not duplicates.
        assert sum(row.amount_minor for row in rows) == 3 * 450 - 250_000
        assert all(row.plaid_transaction_id.startswith("import:") for row in rows)
        assert rows[0].effective_category_detailed == "INCOME_SALARY"  # the person's rule applied

        overlap = CHASE_CHECKING + b"DEBIT,10/17/2026,BOOK STORE,-20.00,DEBIT_CARD,971.00,,\n"
        again = import_job_create(
            user_id=user.pk,
            filename="chase-2.csv",
            content=overlap,
            destination=Destination(account_id=account.pk),
            currency="USD",
        )
    second = queue_and_run(user.pk, again)
    assert second is not None and (second.imported_count, second.duplicate_count) == (1, 4)
    with tenant_context(user.pk):
        assert Transaction.objects.filter(account_id=account.pk).count() == 5


def test_one_bad_row_imports_nothing_and_names_the_line() -> None:
    user = UserFactory()
    content = CHASE_CHECKING + b"DEBIT,10/35/2026,BROKEN,-1.00,DEBIT_CARD,,,\n"
    with tenant_context(user.pk):
        job = import_job_create(
            user_id=user.pk,
            filename="x.csv",
            content=content,
            destination=Destination(new_name="New"),
            currency="USD",
        )
    assert queue_and_run(user.pk, job) is None
    with tenant_context(user.pk):
        job.refresh_from_db()
        assert job.status == "failed" and job.errors == [
            {"line": 6, "reason": "“10/35/2026” is not a date written as 03/31/2024 (month/day/year)."}
        ]
        assert not Transaction.objects.exists() and not Account.objects.exists()


def test_a_failure_while_saving_rolls_everything_back(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from finance.imports import services as imports

    user = UserFactory()
    with tenant_context(user.pk):
        job = import_job_create(
            user_id=user.pk,
            filename="x.csv",
            content=CHASE_CHECKING,
            destination=Destination(new_name="New"),
            currency="USD",
        )

    def explode(**kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "rules_apply", explode)
    with pytest.raises(RuntimeError):
        queue_and_run(user.pk, job)
    with tenant_context(user.pk):
        job.refresh_from_db()
        assert job.status == "failed" and "nothing was imported" in job.error_message
        assert not Transaction.objects.exists() and not Account.objects.exists()


def test_caps_on_size_and_rows() -> None:
    user = UserFactory()
    with tenant_context(user.pk), pytest.raises(UploadError) as too_big:
        import_job_create(
            user_id=user.pk,
            filename="big.csv",
            content=b"x" * (MAX_BYTES + 1),
            destination=Destination(new_name="A"),
            currency="USD",
        )
    assert too_big.value.status == 413
    many = b"Date,Description,Amount\n" + b"2026-01-01,Row,-1.00\n" * (MAX_ROWS + 1)
    text, encoding = decode(many)
    with pytest.raises(UploadError, match="more than 50,000 rows") as too_many:
        parse_rows(text, detect_layout(text, encoding), currency="USD")
    assert too_many.value.status == 413


# --- the pages ------------------------------------------------------------------------------------
def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def upload(client: Client, content: bytes, name: str = "bank.csv", **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"),
        "account": "new",
        "new_name": "Imported checking",
        "new_kind": "checking",
        **fields,
    }
    return client.post("/app/import/", data)


def test_upload_review_choose_the_date_format_import_and_watch_progress(enqueued) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    client = client_for(user)
    content = b"Date,Description,Debit,Credit\n01/02/2026,Coffee,4.50,\n03/04/2026,Salary,,2000.00\n"
    response = upload(client, content)
    assert response.status_code == 302
    review_url = response["Location"]
    page = client.get(review_url)
    html = page.content.decode()
    assert "read correctly more than one way" in html and "Choose…" in html
    assert 'value="import" disabled' in html

    fields = {
        "encoding": "utf-8-sig",
        "delimiter": ",",
        "date_column": "0",
        "description_column": "1",
        "amount_column": "",
        "debit_column": "2",
        "credit_column": "3",
        "date_format": "",
        "decimal": ".",
        "sign": "negative_out",
    }
    refused = client.post(review_url, {**fields, "action": "import"})
    assert refused.status_code == 400
    preview = client.post(review_url, {**fields, "date_format": "%d/%m/%Y"}, HTTP_HX_REQUEST="true")
    assert [str(row.day) for row in preview.context["preview"]] == ["2026-02-01", "2026-04-03"]
    assert "2 transactions</strong> ready to import" in preview.content.decode()

    started = client.post(review_url, {**fields, "date_format": "%d/%m/%Y", "action": "import"})
    assert started.status_code == 302 and enqueued() == ["finance.imports.run"]
    status = client.get(review_url.rstrip("/") + "/status/")
    assert 'hx-trigger="every 1s"' in status.content.decode() and "<progress" in status.content.decode()

    job_pk = int(review_url.rstrip("/").rsplit("/", 1)[1])
    with tenant_binding(user.pk):
        import_job_run(user_id=user.pk, job_pk=job_pk)
    finished = client.get(review_url.rstrip("/") + "/status/").content.decode()
    assert "every 1s" not in finished and "2 transactions imported" in finished
    with tenant_context(user.pk):
        assert sorted(Transaction.objects.values_list("date", "amount_minor")) == [
            (date(2026, 2, 1), 450),
            (date(2026, 4, 3), -200_000),
        ]


def test_bad_uploads_get_clear_4xx_answers() -> None:
    client = client_for(UserFactory())
    assert upload(client, b"").status_code == 400
    excel = upload(client, b"PK\x03\x04zip", name="bank.xlsx")
    assert excel.status_code == 415 and "Save or export it as CSV" in excel.content.decode()
    too_big = upload(client, b"a" * (MAX_BYTES + 10))
    assert too_big.status_code == 413 and "larger than 5 MB" in too_big.content.decode()
    unnamed = upload(client, CHASE_CHECKING, new_name="")
    assert unnamed.status_code == 400 and "Name the new account." in unnamed.content.decode()


def test_imports_and_their_accounts_belong_to_their_owner() -> None:
    alice, bob = UserFactory(), UserFactory()
    alice_client, bob_client = client_for(alice), client_for(bob)
    with tenant_context(alice.pk):
        manual = b.account(alice.pk, name="Alice manual")
    review_url = upload(alice_client, CHASE_CHECKING, account=str(manual.pk))["Location"]
    assert alice_client.get(review_url).status_code == 200
    assert bob_client.get(review_url).status_code == 404
    assert bob_client.post(review_url, {"action": "import"}).status_code == 404
    assert bob_client.get(review_url.rstrip("/") + "/status/").status_code == 404
    # Bob can't import into Alice's account by naming its id.
    forged = upload(bob_client, CHASE_CHECKING, account=str(manual.pk))
    assert forged.status_code == 400
    assert "Alice manual" not in bob_client.get("/app/import/").content.decode()
    with tenant_context(bob.pk):
        assert not ImportJob.objects.exists()


# --- input that no bank export has ------------------------------------------------------------------
LONG_FIELD = b"x" * 140_000
UTF16_NUL_HEADER = "Date,Descrip\x00tion,Amount\n2026-03-01,Cafe,-4.50\n".encode("utf-16")


def test_a_field_over_the_csv_limit_is_refused_with_its_line() -> None:
    with pytest.raises(UploadError, match="Line 2 has a field longer than 131,072 characters"):
        read(b"Date,Description,Amount\n2026-01-01," + LONG_FIELD + b",1\n")
    # Past the rows the layout is guessed from, it is that row's error.
    rows = b"".join(b"2026-01-01,Row %d,-1.00\n" % n for n in range(300))
    text, encoding = decode(b"Date,Description,Amount\n" + rows + b"2026-01-02," + LONG_FIELD + b",1\n")
    parsed = parse_rows(text, detect_layout(text, encoding), currency="USD")
    assert parsed.errors == [
        {
            "line": 302,
            "reason": "Line 302 has a field longer than 131,072 characters, which no bank export has.",
        }
    ]
    assert len(parsed.rows) == 300


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (UTF16_NUL_HEADER, None),
        (b"Date,Description,Amount\n" + b"2026-01-01,Row,-1.00\n" * 500 + b"2026-01-01,a\x00b,1\n", None),
        (b"Date,Description,Amount\n2026-01-01,a\x00b,1\n", "cp1252"),
        ("Date,Description,Amount\n2026-01-01,Cafe,1\n".encode("utf-16"), "latin-1"),
    ],
    ids=["utf-16 header", "far down the file", "chosen cp1252", "utf-16 read as latin-1"],
)
def test_text_holding_nul_is_refused_as_binary_whatever_its_encoding(
    content: bytes, encoding: str | None
) -> None:
    with pytest.raises(UploadError, match="binary data") as refused:
        decode(content, encoding)
    assert refused.value.status == 415


def test_too_many_columns_are_refused() -> None:
    with pytest.raises(UploadError, match="1,002 columns"):
        read(b"Date,Description,Amount" + b"," * 999 + b"\n2026-01-01,x,1\n")


@pytest.mark.parametrize(
    "raw", ["9" * 16, "1" + "0" * 15 + ".00", "-" + "9" * 30, "9" * 5000, "(" + "9" * 29 + ")"]
)
def test_amounts_too_large_for_any_account_are_row_errors(raw: str) -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_amount(raw)
    text, encoding = decode(f"Date,Description,Amount\n2026-01-01,Big,{raw}\n2026-01-02,Ok,1\n".encode())
    parsed = parse_rows(text, detect_layout(text, encoding), currency="KWD")
    assert [error["line"] for error in parsed.errors] == [2] and "too large" in parsed.errors[0]["reason"]
    assert len(parsed.errors[0]["reason"]) < 120  # the value is shortened, not repeated whole
    assert parse_amount("999999999999999.99") == Decimal("999999999999999.99")


def test_uploads_no_bank_export_has_are_4xx_and_store_nothing() -> None:
    user = UserFactory()
    client = client_for(user)
    long_field = upload(client, b"Date,Description,Amount\n2026-01-01," + LONG_FIELD + b",1\n")
    assert long_field.status_code == 400
    assert "has a field longer than 131,072 characters" in long_field.content.decode()
    nul = upload(client, UTF16_NUL_HEADER)
    assert nul.status_code == 415 and "binary data" in nul.content.decode()
    with tenant_context(user.pk):
        assert not ImportJob.objects.exists()


MAPPED = {
    "encoding": "utf-8-sig", "delimiter": ",", "date_column": "0", "description_column": "1",
    "amount_column": "2", "debit_column": "", "credit_column": "", "date_format": "%Y-%m-%d",
    "decimal": ".", "sign": "negative_out",
}  # fmt: skip


def test_rereading_a_file_in_an_encoding_that_gives_nul_is_a_400_and_keeps_the_layout() -> None:
    user = UserFactory()
    client = client_for(user)
    review_url = upload(client, "Date,Description,Amount\n2026-03-01,Café,-4.50\n".encode("utf-16"))[
        "Location"
    ]
    with tenant_context(user.pk):
        before = ImportJob.objects.get().layout
    response = client.post(review_url, {**MAPPED, "encoding": "latin-1"})
    assert response.status_code == 400 and "binary data" in response.content.decode()
    with tenant_context(user.pk):
        assert ImportJob.objects.get().layout == before


def test_a_row_amount_too_large_shows_in_the_preview_and_cannot_be_imported(enqueued) -> None:  # type: ignore[no-untyped-def]
    client = client_for(UserFactory())
    review_url = upload(client, b"Date,Description,Amount\n2026-03-01,Huge," + b"9" * 40 + b"\n")["Location"]
    page = client.get(review_url)
    assert page.status_code == 200 and "too large to be an amount" in page.content.decode()
    assert client.post(review_url, {**MAPPED, "action": "import"}).status_code == 400
    assert enqueued() == []


def test_a_stored_file_that_decoding_now_refuses_fails_cleanly() -> None:
    """A draft uploaded before NUL was refused: its page says why, and importing it fails the job."""
    user = UserFactory()
    client = client_for(user)
    content = b"Date,Description,Amount\n2026-01-01,a\x00b,1\n"
    with tenant_context(user.pk):
        layout = read(content.replace(b"\x00", b""))
        draft = ImportJob.objects.create(
            user_id=user.pk, filename="old.csv", content=content, size=len(content), layout=layout.as_json()
        )
        queued = ImportJob.objects.create(
            user_id=user.pk, filename="old.csv", content=content, size=len(content), layout=layout.as_json(),
            status=ImportJob.Status.QUEUED,
        )  # fmt: skip
    page = client.get(f"/app/import/{draft.pk}/")
    assert page.status_code == 200 and "binary data" in page.content.decode()
    assert client.post(f"/app/import/{draft.pk}/", {**MAPPED, "action": "import"}).status_code == 400
    with tenant_binding(user.pk):
        assert import_job_run(user_id=user.pk, job_pk=queued.pk) is None
    with tenant_context(user.pk):
        failed = ImportJob.objects.get(pk=queued.pk)
        assert failed.status == ImportJob.Status.FAILED and "binary data" in failed.error_message
        assert not Transaction.objects.exists()
