from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, ResolverMatch, resolve

from creditapp.tenancy.db import maintenance_access, set_tenant, tenant_scope

# Admin views that show no customer data: the JavaScript translation catalog every admin page
# loads would otherwise double the audit trail with entries that saw nothing.
ADMIN_VIEWS_WITHOUT_CUSTOMER_DATA = frozenset({"jsi18n"})


def admin_match(request: HttpRequest) -> ResolverMatch | None:
    """The admin view the request is for, or None outside the admin."""
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return match if match.namespace == admin.site.name else None


def admin_view_seen(match: ResolverMatch, request: HttpRequest) -> dict[str, Any]:
    """What a staff request looks at, named from the admin view it resolves to: the model, the kind
    of page (changelist, change, delete, history…), the object and the changelist's filters."""
    seen: dict[str, Any] = {"path": request.path}
    model_admin = getattr(match.func, "model_admin", None)
    if model_admin is not None:
        opts = model_admin.model._meta
        seen["model"] = opts.label_lower
        # The unnamed `<object_id>/` URL only redirects to the change page.
        seen["view"] = (match.url_name or "").removeprefix(f"{opts.app_label}_{opts.model_name}_") or "change"
    else:
        seen["view"] = match.url_name or "page"
    seen.update({name: unquote(str(value)) for name, value in match.kwargs.items()})
    if request.GET:
        seen["filters"] = request.GET.dict()
    return seen


def _reason(request: HttpRequest, seen: dict[str, Any]) -> str:
    words = ["admin", request.method or "", seen.get("model", ""), seen["view"], seen.get("object_id", "")]
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return " ".join(word for word in words if word) + query


class TenantContextMiddleware:
    """Runs every request in one transaction with the signed-in user as the tenant.

    Every request gets the transaction (even anonymous ones) so DRF can set its own user later.
    Django turns a crashed view into a 500 response before atomic() sees the exception, so the
    partial work is rolled back explicitly. Staff in the admin work through the audited
    maintenance path, which sees all tenants: one entry per request, naming what it looked at.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with tenant_scope():
            user = request.user
            if user.is_authenticated:
                set_tenant(user.pk)
            match = admin_match(request) if user.is_authenticated and user.is_staff else None
            if match is not None and match.url_name not in ADMIN_VIEWS_WITHOUT_CUSTOMER_DATA:
                seen = admin_view_seen(match, request)
                with maintenance_access(_reason(request, seen), actor=user, details=seen):
                    response = self.get_response(request)
                    if response.status_code >= 500:
                        transaction.set_rollback(True, using="maint")
            else:
                response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            return response
