"""The pages under /accounts/api-keys/: list, create (the token is shown once) and revoke keys.

Anyone may list and revoke their keys (also after a downgrade); creating one needs API access, which
the project's URLconf requires of `api_key_new` (the plan is billing's, a layer above this app).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.api_keys import TooManyKeys, api_key_create, api_key_revoke, api_keys_for
from accounts.forms import ApiKeyForm
from accounts.models import ApiKey
from creditapp.core.request import user_id


def _form(request: HttpRequest) -> ApiKeyForm:
    data = request.POST if request.method == "POST" else None
    return ApiKeyForm(data, timezone_name=request.user.timezone)  # type: ignore[union-attr]


def _list(request: HttpRequest, form: ApiKeyForm, status: int = 200) -> HttpResponse:
    context = {
        "keys": api_keys_for(owner_id=user_id(request)),
        "form": form,
    }
    return render(request, "accounts/api_keys.html", context, status=status)


@login_required
@require_GET
def api_keys(request: HttpRequest) -> HttpResponse:
    return _list(request, _form(request))


@login_required
@require_POST
def api_key_new(request: HttpRequest) -> HttpResponse:
    form = _form(request)
    if not form.is_valid():
        return _list(request, form, status=400)
    data = form.cleaned_data
    try:
        created = api_key_create(
            owner_id=user_id(request), name=data["name"], scope=data["scope"], expires_at=data["expires_at"]
        )
    except TooManyKeys as error:
        form.add_error(None, str(error))
        return _list(request, form, status=400)
    response = render(request, "accounts/api_key_created.html", {"key": created.key, "token": created.token})
    response["Cache-Control"] = "no-store"  # the token is in this page and nowhere else
    return response


@login_required
@require_POST
def api_key_remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        key = api_key_revoke(owner_id=user_id(request), key_pk=pk)
    except ApiKey.DoesNotExist:
        raise Http404 from None
    messages.success(request, f"“{key.name}” is revoked: it no longer works.")
    return redirect("accounts:api-keys")
