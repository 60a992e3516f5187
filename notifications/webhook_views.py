"""The webhooks settings page: endpoints, their signing secrets (shown once), test events and the
delivery log. The plan gate (API access) is applied where the URLs are mounted."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from creditapp.core.request import user_id
from notifications.forms import WebhookEndpointEditForm, WebhookEndpointForm
from notifications.models import WebhookEndpoint
from notifications.webhooks import (
    MAX_ENDPOINTS,
    EndpointWithSecret,
    TooManyEndpoints,
    WebhookUrlRefused,
    webhook_deliveries_for,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
    webhook_endpoints_for,
)

LOG_SIZE = 50
URL_BREAKS = re.compile(r"(?<=[/?&=.])")


def breakable(url: str) -> SafeString:
    """The URL, escaped, with line-break opportunities after its separators: a long one wraps on a
    phone instead of widening the page."""
    return format_html_join(format_html("<wbr>"), "{}", ((part,) for part in URL_BREAKS.split(url) if part))


def _endpoint(request: HttpRequest, pk: int) -> WebhookEndpoint:
    """Another person's endpoint and a missing one look the same: 404."""
    endpoint = webhook_endpoints_for(user_id=user_id(request)).filter(pk=pk).first()
    if endpoint is None:
        raise Http404("no such webhook endpoint")
    return endpoint


def _list(request: HttpRequest, form: WebhookEndpointForm, *, status: int = 200) -> HttpResponse:
    endpoints = [
        {"endpoint": endpoint, "url": breakable(endpoint.url)}
        for endpoint in webhook_endpoints_for(user_id=user_id(request))
    ]
    context = {"form": form, "endpoints": endpoints, "max_endpoints": MAX_ENDPOINTS}
    return render(request, "notifications/webhooks.html", context, status=status)


def _secret_page(request: HttpRequest, saved: EndpointWithSecret, *, created: bool) -> HttpResponse:
    context = {
        "endpoint": saved.endpoint, "url": breakable(saved.endpoint.url), "secret": saved.secret,
        "created": created,
    }  # fmt: skip
    response = render(request, "notifications/webhooks_secret.html", context)
    response["Cache-Control"] = "no-store"  # the secret is in this page and nowhere else
    return response


def _log_context(request: HttpRequest, endpoint: WebhookEndpoint) -> dict[str, Any]:
    deliveries = webhook_deliveries_for(user_id=user_id(request), endpoint_pk=endpoint.pk)[:LOG_SIZE]
    return {
        "endpoint": endpoint, "url": breakable(endpoint.url), "deliveries": list(deliveries),
        "log_size": LOG_SIZE,
    }  # fmt: skip


@require_GET
def webhook_list(request: HttpRequest) -> HttpResponse:
    return _list(request, WebhookEndpointForm())


@require_POST
def webhook_create(request: HttpRequest) -> HttpResponse:
    form = WebhookEndpointForm(request.POST)
    if not form.is_valid():
        return _list(request, form, status=400)
    try:
        saved = webhook_endpoint_create(user_id=user_id(request), **form.cleaned_data)
    except TooManyEndpoints as error:
        messages.error(request, str(error))
        return redirect("webhooks:list")
    return _secret_page(request, saved, created=True)


@require_http_methods(["GET", "POST"])
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    initial = {
        "url": endpoint.url,
        "events": endpoint.events,
        "description": endpoint.description,
        "is_active": endpoint.is_active,
    }
    form = WebhookEndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_endpoint_update(user_id=user_id(request), endpoint_pk=endpoint.pk, **form.cleaned_data)
        except WebhookUrlRefused as refused:
            form.add_error("url", str(refused))
        else:
            messages.success(request, "Your endpoint is saved.")
            return redirect("webhooks:detail", pk=endpoint.pk)
    context = {"form": form, **_log_context(request, endpoint)}
    return render(request, "notifications/webhooks_detail.html", context, status=400 if form.errors else 200)


@require_GET
def webhook_deliveries(request: HttpRequest, pk: int) -> HttpResponse:
    """The delivery log alone, for the page's Refresh button (htmx)."""
    endpoint = _endpoint(request, pk)
    return render(request, "notifications/webhooks_deliveries.html", _log_context(request, endpoint))


@require_POST
def webhook_test(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    webhook_endpoint_send_test(user_id=user_id(request), endpoint_pk=endpoint.pk)
    if request.htmx:  # type: ignore[attr-defined]
        context = {
            **_log_context(request, endpoint),
            "notice": "Test event sent: it shows below in a moment.",
        }
        return render(request, "notifications/webhooks_deliveries.html", context)
    messages.success(request, "Test event sent: it shows in the delivery log in a moment.")
    return redirect("webhooks:detail", pk=endpoint.pk)


@require_POST
def webhook_rotate_secret(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    saved = webhook_endpoint_rotate_secret(user_id=user_id(request), endpoint_pk=endpoint.pk)
    return _secret_page(request, saved, created=False)


@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint(request, pk)
    webhook_endpoint_delete(user_id=user_id(request), endpoint_pk=endpoint.pk)
    messages.success(request, f"The endpoint {endpoint.url} is deleted: it receives nothing more.")
    return redirect("webhooks:list")
