"""The transactions page: filters, search, sort, keyset pages, inline recategorising, CSV export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from billing.decorators import entitlement_required
from creditapp.http import user_id
from finance.categories import detailed_label, primary_choices, primary_label, taxonomy
from finance.models import Account, Transaction
from finance.money import to_minor
from finance.selectors.transactions import (
    SORT_LABELS,
    UNCATEGORISED,
    BadCursor,
    TransactionFilters,
    transactions_for_export,
    transactions_page,
    transactions_totals,
)
from finance.services.rules import InvalidCategory, transaction_recategorise

MAX_AMOUNT = Decimal("1000000000")


class DateInput(forms.DateInput):
    input_type = "date"


class TransactionFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    start = forms.DateField(required=False, label="From", widget=DateInput)
    end = forms.DateField(required=False, label="To", widget=DateInput)
    account = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Account")
    category = forms.ChoiceField(required=False, label="Category")
    min = forms.DecimalField(
        required=False, min_value=0, max_value=MAX_AMOUNT, decimal_places=2, label="Min amount"
    )
    max = forms.DecimalField(
        required=False, min_value=0, max_value=MAX_AMOUNT, decimal_places=2, label="Max amount"
    )
    flow = forms.ChoiceField(
        required=False,
        label="Direction",
        choices=[("", "In and out"), ("out", "Money out"), ("in", "Money in")],
    )
    pending = forms.ChoiceField(
        required=False,
        label="Status",
        choices=[("", "Any status"), ("no", "Posted"), ("yes", "Pending")],
    )
    sort = forms.ChoiceField(required=False, label="Sort", choices=list(SORT_LABELS.items()))

    def __init__(self, *args: Any, accounts: list[Account], currency: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["account"].choices = [("", "All accounts")] + [(a.pk, str(a)) for a in accounts]  # type: ignore[attr-defined]
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", "All categories"),
            *primary_choices(),
            (UNCATEGORISED, "Uncategorised"),
        ]
        for name in ("min", "max"):
            self.fields[name].widget.attrs.update(inputmode="decimal", placeholder="0.00", step="0.01")
        self.fields["q"].widget.input_type = "search"
        self.fields["q"].widget.attrs["placeholder"] = "Search transactions"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date is before the start date.")
        if data.get("min") is not None and data.get("max") is not None and data["min"] > data["max"]:
            self.add_error("max", "The maximum is less than the minimum.")
        return data

    def filters(self) -> TransactionFilters:
        """The valid fields as filters (an invalid field is ignored and shown with its error)."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}

        def minor(name: str) -> int | None:
            value = data.get(name)
            return to_minor(value, self.currency) if value is not None else None

        return TransactionFilters(
            start=data.get("start"),
            end=data.get("end"),
            account_id=data.get("account"),
            category=data.get("category") or "",
            min_minor=minor("min"),
            max_minor=minor("max"),
            flow=data.get("flow") or "",
            pending=data.get("pending") or "",
            query=data.get("q") or "",
            sort=data.get("sort") or "-date",
        )

    @property
    def active(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return any(data.get(name) not in (None, "") for name in self.fields if name not in ("sort", "q"))


def _filter_form(request: HttpRequest, uid: int) -> TransactionFilterForm:
    accounts = list(Account.objects.filter(user_id=uid).order_by("institution_name", "name", "id"))
    form = TransactionFilterForm(request.GET, accounts=accounts, currency=request.user.currency)  # type: ignore[union-attr]
    form.is_valid()
    return form


@login_required
@require_GET
def transaction_list(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    form = _filter_form(request, uid)
    filters = form.filters()
    try:
        page = transactions_page(user_id=uid, filters=filters, cursor=request.GET.get("after") or None)
    except BadCursor:
        return HttpResponseBadRequest("`after` is not a cursor from this list")
    next_query = request.GET.copy()
    if page.next_cursor:
        next_query["after"] = page.next_cursor
    export_query = request.GET.copy()
    export_query.pop("after", None)
    context = {
        "form": form,
        "page": page,
        "transactions": page.rows,
        "totals": transactions_totals(user_id=uid, filters=filters, currency=request.user.currency),  # type: ignore[union-attr]
        "next_query": next_query.urlencode() if page.next_cursor else "",
        "export_query": export_query.urlencode(),
        "paged": bool(request.GET.get("after")),
        "taxonomy": taxonomy(),
    }
    return render(request, "finance/transactions.html", context)


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "finance:transactions"


@login_required
@require_http_methods(["GET", "POST"])
def transaction_category(request: HttpRequest, pk: int) -> HttpResponse:
    """Recategorise one transaction (and, optionally, every similar one through a rule).

    With htmx: GET returns the row as a small form, POST the updated row. Without script it is a page."""
    uid = user_id(request)
    row = get_object_or_404(Transaction.objects.select_related("account"), pk=pk, user_id=uid)
    htmx = bool(request.htmx)  # type: ignore[attr-defined]
    context: dict[str, Any] = {"t": row, "taxonomy": taxonomy(), "next": _back(request)}
    if request.method == "POST":
        try:
            result = transaction_recategorise(
                user_id=uid,
                transaction_pk=row.pk,
                detailed=request.POST.get("category", ""),
                apply_to_similar=request.POST.get("similar") == "on",
            )
        except InvalidCategory:
            context["error"] = "Choose a category from the list."
            template = "finance/transactions_row.html" if htmx else "finance/transactions_category.html"
            return render(request, template, {**context, "editing": True}, status=400)
        saved = result.transaction
        saved.account = row.account
        label = detailed_label(saved.effective_category_detailed) or primary_label(
            saved.effective_category_primary
        )
        status = f"{saved.merchant_name or saved.name}: now {label}."
        if result.rule is not None:
            status += (
                f" {result.similar_updated} similar transaction{'s' if result.similar_updated != 1 else ''}"
                " updated; new ones will follow."
            )
        if not htmx:
            messages.success(request, status)
            return redirect(_back(request))
        response = render(request, "finance/transactions_row.html", {**context, "t": saved, "status": status})
        if result.similar_updated:
            response["HX-Trigger"] = "transactions-changed"
        return response
    if htmx:
        editing = request.GET.get("cancel") is None
        return render(request, "finance/transactions_row.html", {**context, "editing": editing})
    return render(request, "finance/transactions_category.html", context)


def _safe_cell(text: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas: make text cells plain text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
@require_GET
@entitlement_required("csv_export")
def transaction_export(request: HttpRequest) -> HttpResponse:
    """The filtered transactions as CSV. Built in full inside the view: a streaming response would run
    after the request's transaction (and its tenant context) ended and see no rows (DESIGN §4)."""
    uid = user_id(request)
    filters = _filter_form(request, uid).filters()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "Date",
            "Description",
            "Merchant",
            "Category",
            "Subcategory",
            "Account",
            "Amount",
            "Currency",
            "Status",
        ]
    )
    for t in transactions_for_export(user_id=uid, filters=filters):
        amount = -Decimal(t.amount_minor).scaleb(-2)  # money out negative, as banks export it
        writer.writerow(
            [
                t.date.isoformat(),
                _safe_cell(t.name),
                _safe_cell(t.merchant_name),
                primary_label(t.effective_category_primary),
                detailed_label(t.effective_category_detailed),
                _safe_cell(str(t.account)),
                f"{amount:.2f}",
                t.currency,
                "pending" if t.pending else "posted",
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="transactions-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response
