"""Importing a bank CSV: upload → check the columns and a preview → import with a progress bar."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from creditapp.core.request import user_id
from finance.imports import services as import_services
from finance.imports.decode import ENCODING_NAMES, decode
from finance.imports.layout import DATE_FORMATS, DELIMITER_NAMES, SIGNS, Layout, detect_layout
from finance.imports.limits import MAX_BYTES, UploadError
from finance.imports.parse import PREVIEW_ROWS, parse_rows, preview_table
from finance.imports.services import Destination
from finance.models import Account, ImportJob

NEW = "new"
PREVIEW_ERRORS = 50


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file", help_text="A CSV export from your bank, up to 5 MB.")
    account = forms.ChoiceField(label="Import into")
    new_name = forms.CharField(
        label="New account name", max_length=200, error_messages={"required": "Name the new account."}
    )
    new_kind = forms.ChoiceField(
        label="Account type",
        choices=[("checking", "Checking"), ("savings", "Savings"), ("credit card", "Credit card")],
        initial="checking",
    )

    def __init__(self, *args: Any, accounts: list[Account], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [  # type: ignore[attr-defined]
            *[(str(a.pk), f"{a.name} ({a.currency})") for a in accounts],
            (NEW, "A new account…"),
        ]
        self.fields["account"].initial = str(accounts[0].pk) if accounts else NEW
        # Required for a new account only (the page shows the name field only then).
        self.fields["new_name"].required = self.data.get("account", self.fields["account"].initial) == NEW
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,text/csv,text/plain"
        self.fields["new_name"].widget.attrs["placeholder"] = "e.g. Credit union checking"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is not None and upload.size > MAX_BYTES:
            limit = MAX_BYTES // (1024 * 1024)
            self.add_error(
                "file", forms.ValidationError(f"The file is larger than {limit} MB.", code="too_big")
            )
        return data

    def destination(self) -> Destination:
        account = self.cleaned_data["account"]
        if account == NEW:
            return Destination(
                new_name=self.cleaned_data["new_name"].strip(), new_kind=self.cleaned_data["new_kind"]
            )
        return Destination(account_id=int(account))


def _column_choices(layout: Layout) -> list[tuple[str, str]]:
    return [("", "—"), *[(str(i), name) for i, name in enumerate(layout.columns)]]


class LayoutForm(forms.Form):
    """The person's corrections to what was detected."""

    encoding = forms.ChoiceField(label="Text encoding", choices=list(ENCODING_NAMES.items()))
    delimiter = forms.ChoiceField(label="Separator", choices=list(DELIMITER_NAMES.items()))
    date_column = forms.ChoiceField(label="Date", required=False)
    description_column = forms.ChoiceField(label="Description", required=False)
    amount_column = forms.ChoiceField(label="Amount", required=False)
    debit_column = forms.ChoiceField(label="Debit (money out)", required=False)
    credit_column = forms.ChoiceField(label="Credit (money in)", required=False)
    date_format = forms.ChoiceField(label="Dates look like", required=False)
    decimal = forms.ChoiceField(
        label="Decimal mark", choices=[(".", "Point: 1,234.56"), (",", "Comma: 1.234,56")]
    )
    sign = forms.ChoiceField(label="Amount sign", choices=list(SIGNS.items()))

    def __init__(self, *args: Any, layout: Layout, **kwargs: Any):
        super().__init__(*args, **kwargs)
        columns = _column_choices(layout)
        for name in ("date_column", "description_column", "amount_column", "debit_column", "credit_column"):
            self.fields[name].choices = columns  # type: ignore[attr-defined]
        offered = layout.date_candidates or list(DATE_FORMATS)
        if layout.date_format and layout.date_format not in offered:
            offered = [layout.date_format, *offered]
        self.fields["date_format"].choices = [  # type: ignore[attr-defined]
            ("", "Choose…"),
            *[(fmt, DATE_FORMATS[fmt]) for fmt in offered],
        ]

    @staticmethod
    def initial_for(layout: Layout) -> dict[str, Any]:
        def col(value: int | None) -> str:
            return "" if value is None else str(value)

        return {
            "encoding": layout.encoding,
            "delimiter": layout.delimiter,
            "date_column": col(layout.date_column),
            "description_column": col(layout.description_column),
            "amount_column": col(layout.amount_column),
            "debit_column": col(layout.debit_column),
            "credit_column": col(layout.credit_column),
            "date_format": layout.date_format,
            "decimal": layout.decimal,
            "sign": layout.sign,
        }

    def updated(self, layout: Layout) -> Layout:
        data = self.cleaned_data

        def col(name: str) -> int | None:
            value = data.get(name)
            return int(value) if value not in (None, "") else None

        changed = Layout.from_json(layout.as_json())
        changed.date_column, changed.description_column = col("date_column"), col("description_column")
        changed.amount_column = col("amount_column")
        changed.debit_column = col("debit_column") if changed.amount_column is None else None
        changed.credit_column = col("credit_column") if changed.amount_column is None else None
        changed.date_format, changed.decimal, changed.sign = (
            data["date_format"],
            data["decimal"],
            data["sign"],
        )
        return changed


def _job(request: HttpRequest, pk: int) -> ImportJob:
    """Another person's import and a missing one look the same: 404."""
    return get_object_or_404(ImportJob.objects.defer("content"), pk=pk, user_id=user_id(request))


def _manual_accounts(uid: int) -> list[Account]:
    return list(Account.objects.for_user(uid).filter(item__isnull=True).order_by("name", "id"))


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    accounts = _manual_accounts(uid)
    form = UploadForm(request.POST or None, request.FILES or None, accounts=accounts)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = import_services.import_job_create(
                    user_id=uid,
                    filename=upload.name or "upload.csv",
                    content=upload.read(),
                    destination=form.destination(),
                    currency=request.user.currency,  # type: ignore[union-attr]
                )
            except UploadError as error:
                form.add_error("file", str(error))
                status = error.status
            except Account.DoesNotExist:
                form.add_error("account", "Choose one of your accounts.")
                status = 400
            else:
                return redirect("finance:import-review", pk=job.pk)
        else:
            status = 413 if form.has_error("file", code="too_big") else 400
    recent = list(
        ImportJob.objects.for_user(uid).defer("content").select_related("account").order_by("-created_at")[:8]
    )
    return render(request, "finance/import/upload.html", {"form": form, "recent": recent}, status=status)


def _review_context(job: ImportJob, layout: Layout, form: LayoutForm) -> dict[str, Any]:
    try:
        text, unreadable = import_services.job_text(job, layout), ""
    except UploadError as error:  # a file stored before decoding refused what it holds
        text, unreadable = "", str(error)
    roles = {
        layout.date_column: "date",
        layout.description_column: "description",
        layout.amount_column: "amount",
        layout.debit_column: "debit",
        layout.credit_column: "credit",
    }
    currency = import_services.import_currency(job)
    context: dict[str, Any] = {
        "job": job,
        "form": form,
        "layout": layout,
        "currency": currency,
        "problems": [unreadable] if unreadable else layout.problems(),
        "raw_rows": preview_table(text, layout),
        "header_cells": [(name, roles.get(index, "")) for index, name in enumerate(layout.columns)],
        "mapped_indexes": {index for index in roles if index is not None},
        "encoding_name": ENCODING_NAMES.get(layout.encoding, layout.encoding),
        "delimiter_name": DELIMITER_NAMES.get(layout.delimiter, layout.delimiter),
    }
    if not context["problems"]:
        try:
            parsed = parse_rows(text, layout, currency=currency)
        except UploadError as error:
            context["problems"] = [str(error)]
        else:
            context.update(
                parsed=parsed,
                preview=parsed.rows[:PREVIEW_ROWS],
                shown_errors=parsed.errors[:PREVIEW_ERRORS],
            )
    return context


@login_required
@require_http_methods(["GET", "POST"])
def import_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Check the detected columns against the file's first rows; fix them; start the import. Once started,
    the same address shows the progress and the outcome."""
    uid = user_id(request)
    job = _job(request, pk)
    if job.status != ImportJob.Status.DRAFT:
        return render(request, "finance/import/review.html", {"job": job, **_status_context(job)})
    job = get_object_or_404(ImportJob, pk=pk, user_id=uid)  # with the file, to read it
    layout = import_services.job_layout(job)
    if request.method != "POST":
        form = LayoutForm(initial=LayoutForm.initial_for(layout), layout=layout)
        return render(request, "finance/import/review.html", _review_context(job, layout, form))

    form = LayoutForm(request.POST, layout=layout)
    action = request.POST.get("action", "preview")  # "preview" (a change) or "import"
    status = 200
    if not form.is_valid():
        return render(request, "finance/import/review.html", _review_context(job, layout, form), status=400)
    reread = (form.cleaned_data["encoding"], form.cleaned_data["delimiter"]) != (
        layout.encoding,
        layout.delimiter,
    )
    if reread:
        try:
            text, encoding = decode(bytes(job.content), form.cleaned_data["encoding"])
            layout = detect_layout(text, encoding, form.cleaned_data["delimiter"])
        except UploadError as error:
            form.add_error("encoding", str(error))
            return render(
                request, "finance/import/review.html", _review_context(job, layout, form), status=400
            )
    else:
        layout = form.updated(layout)
    job = import_services.import_job_set_layout(user_id=uid, job_pk=job.pk, layout=layout)
    context = _review_context(job, layout, LayoutForm(initial=LayoutForm.initial_for(layout), layout=layout))
    if action == "import":
        parsed = context.get("parsed")
        if context["problems"] or parsed is None or parsed.error_count:
            context["refused"] = True
            status = 400
        else:
            import_services.import_job_enqueue(user_id=uid, job_pk=job.pk)
            return redirect("finance:import-review", pk=job.pk)
    return render(request, "finance/import/review.html", context, status=status)


def _status_context(job: ImportJob) -> dict[str, Any]:
    progress = import_services.import_progress(job.pk) if not job.finished else None
    percent = None
    if progress and progress.get("total"):
        share = progress["done"] / progress["total"]
        # Reading is the first half of the bar, saving the second.
        percent = int(min(share, 1) * 50) + (50 if progress.get("phase") == "saving" else 0)
    return {"progress": progress, "percent": percent}


@login_required
@require_GET
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar and, once done, the outcome (polled by htmx while the import runs)."""
    job = _job(request, pk)
    return render(request, "finance/import/_status.html", {"job": job, **_status_context(job)})
