"""The transactions page: filters, search, sort, keyset pages, inline recategorising, CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from billing.decorators import entitlement_required
from creditapp.core.money import from_minor
from creditapp.core.request import user_id
from finance.insights.categories import category_label, detailed_label, primary_label, taxonomy
from finance.insights.filters import TransactionPageFilter
from finance.insights.rules import InvalidCategory, transaction_recategorise
from finance.insights.transactions import (
    BadCursor,
    shown_amount_minor,
    transactions_for_export,
    transactions_page,
    transactions_totals,
)
from finance.models import Account, Transaction


def _filter_set(request: HttpRequest, uid: int) -> TransactionPageFilter:
    accounts = list(Account.objects.for_user(uid).order_by("institution_name", "name", "id"))
    return TransactionPageFilter(request.GET, accounts=accounts, currency=request.user.currency)  # type: ignore[union-attr]


@login_required
@require_GET
def transaction_list(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    filter_set = _filter_set(request, uid)
    filters = filter_set.transaction_filters()
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
        "form": filter_set.form,
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
                category=request.POST.get("category", ""),
                apply_to_similar=request.POST.get("similar") == "on",
            )
        except InvalidCategory:
            context["error"] = "Choose a category from the list."
            template = "finance/transactions_row.html" if htmx else "finance/transactions_category.html"
            return render(request, template, {**context, "editing": True}, status=400)
        saved = result.transaction
        saved.account = row.account
        label = category_label(saved.effective_category_primary, saved.effective_category_detailed)
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
    filters = _filter_set(request, uid).transaction_filters()
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
        amount = from_minor(shown_amount_minor(t), t.currency)  # money out negative, as banks export it
        writer.writerow(
            [
                t.date.isoformat(),
                _safe_cell(t.name),
                _safe_cell(t.merchant_name),
                primary_label(t.effective_category_primary),
                detailed_label(t.effective_category_detailed),
                _safe_cell(str(t.account)),
                f"{amount:f}",
                t.currency,
                "pending" if t.pending else "posted",
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="transactions-{timezone.localdate():%Y-%m-%d}.csv"'
    )
    return response
