from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.decorators import plan_required
from creditapp.core.queue import enqueue_on_commit
from creditapp.core.request import user_id
from finance.banking import items as item_services
from finance.banking import plaid
from finance.banking.allowance import institution_slot_required
from finance.banking.lookups import item_owner
from finance.banking.selectors import items_for
from finance.banking.sync import sync_progress
from finance.banking.verification import WebhookRejected, verify_plaid_webhook
from finance.models import PlaidItem

log = logging.getLogger(__name__)


# --- connections ----------------------------------------------------------------------------------
def _item(request: HttpRequest, pk: int) -> PlaidItem:
    """Another tenant's item and a missing one look the same: 404."""
    return get_object_or_404(PlaidItem, pk=pk, user_id=user_id(request))


def _progress(item: PlaidItem) -> dict[str, int] | None:
    return sync_progress(item.pk) if item.live_sync_state != PlaidItem.SyncState.IDLE else None


@login_required
def connection_list(request: HttpRequest) -> HttpResponse:
    items = [(item, _progress(item)) for item in items_for(user_id=user_id(request))]
    return render(request, "finance/connections.html", {"items": items})


@login_required
def connection_status(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    return render(request, "finance/_connection.html", {"item": item, "progress": _progress(item)})


def _start_link(request: HttpRequest, link_token: str, mode: dict[str, object]) -> HttpResponse:
    request.session["plaid_link"] = mode
    url = plaid.link_url(link_token)
    if url:
        return redirect(url)
    response = render(request, "finance/link.html", {"link_token": link_token})
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; script-src 'self' https://cdn.plaid.com; frame-src https://cdn.plaid.com; "
        "connect-src 'self' https://*.plaid.com; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
    )
    return response


def _callback_url(request: HttpRequest) -> str:
    return settings.SITE_URL + reverse("finance:link-callback")


@login_required
@require_POST
@institution_slot_required
def connection_new(request: HttpRequest) -> HttpResponse:
    try:
        token = item_services.link_token_for_new_item(
            user_id=user_id(request), redirect_uri=_callback_url(request)
        )
    except plaid.PlaidError as error:
        log.warning("link token failed: %s", error)
        messages.error(
            request, "We couldn't reach our bank-connection partner. Please try again in a minute."
        )
        return redirect("finance:connections")
    return _start_link(request, token, {"mode": "new"})


@login_required
@require_POST
@plan_required
def connection_relink(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    try:
        token = item_services.link_token_for_relink(
            user_id=user_id(request), item_pk=item.pk, redirect_uri=_callback_url(request)
        )
    except plaid.PlaidError as error:
        log.warning("update-mode link token failed for item %s: %s", item.pk, error)
        messages.error(request, "We couldn't start the re-login. Please try again in a minute.")
        return redirect("finance:connections")
    return _start_link(request, token, {"mode": "relink", "item": item.pk})


@login_required
def link_callback(request: HttpRequest) -> HttpResponse:
    """Link hands back a public token. GET shows a self-submitting form, so the exchange itself is a
    CSRF-protected POST that a third-party page cannot forge."""
    source = request.POST if request.method == "POST" else request.GET
    if source.get("error"):
        messages.info(request, "Bank connection cancelled.")
        return redirect("finance:connections")
    public_token = source.get("public_token", "")
    if request.method != "POST":
        if not public_token:
            return HttpResponseBadRequest("missing public_token")
        return render(
            request,
            "finance/link_callback.html",
            {"public_token": public_token, "metadata": source.get("metadata", "")},
        )
    try:
        institution = plaid.link_institution(source.get("metadata", ""))
    except plaid.LinkMetadataError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    state = request.session.pop("plaid_link", None)
    if not state:
        messages.error(request, "That bank connection link has expired. Please start again.")
        return redirect("finance:connections")
    try:
        if state["mode"] == "relink":
            item = item_services.plaid_item_relinked(user_id=user_id(request), item_pk=int(state["item"]))
            messages.success(request, f"{item.institution_name} is reconnected. Syncing now.")
        else:
            if not public_token:
                return HttpResponseBadRequest("missing public_token")
            item = item_services.plaid_item_link(
                user_id=user_id(request),
                public_token=public_token,
                institution_id=institution.institution_id,
                institution_name=institution.name,
            )
            messages.success(
                request, f"{item.institution_name} is connected. Your transactions are on their way."
            )
    except plaid.PlaidError as error:
        log.warning("link callback failed: %s", error)
        messages.error(request, "The bank connection didn't complete. Please try again.")
    except PlaidItem.DoesNotExist:
        raise Http404 from None
    return redirect("finance:connections")


@login_required
@require_POST
@plan_required
def connection_sync(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    item_services.plaid_item_sync_now(item=item)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "finance/_connection.html", {"item": item})
    messages.success(request, f"Syncing {item.institution_name}.")
    return redirect("finance:connections")


@login_required
@require_POST
def connection_remove(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item(request, pk)
    try:
        item_services.plaid_item_remove(user_id=user_id(request), item_pk=item.pk)
    except plaid.PlaidError as error:
        log.warning("remove failed for item %s: %s", item.pk, error)
        messages.error(
            request, "Our bank-connection partner is unavailable; nothing was removed. Try again soon."
        )
        return redirect("finance:connections")
    messages.success(request, f"{item.institution_name} and its data were removed.")
    return redirect("finance:connections")


# --- webhooks -----------------------------------------------------------------------------------------
@csrf_exempt
@require_POST
def plaid_webhook(request: HttpRequest) -> HttpResponse:
    """Verify, find the owner, enqueue, answer fast. Unknown items are logged and ignored."""
    try:
        payload = verify_plaid_webhook(request.body, request.headers.get("Plaid-Verification"))
    except WebhookRejected as rejection:
        log.warning("plaid webhook rejected: %s", rejection)
        return HttpResponseBadRequest("invalid webhook")
    item_id = str(payload.get("item_id", ""))
    owner = item_owner(item_id)
    if owner is None:
        log.info("plaid webhook for unknown item %s ignored", item_id)
        return HttpResponse(status=200)
    enqueue_on_commit("finance.plaid.process_plaid_webhook", owner[0], owner[1], payload)
    return HttpResponse(status=200)
