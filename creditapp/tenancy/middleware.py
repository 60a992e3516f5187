from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.http import HttpRequest, HttpResponse

from creditapp.tenancy.db import maintenance_access, set_tenant, tenant_scope

ADMIN_PREFIX = "/admin/"


class TenantContextMiddleware:
    """Runs every request in one transaction with the signed-in user as the tenant.

    Every request gets the transaction (even anonymous ones) so DRF can set its own user later.
    Django turns a crashed view into a 500 response before atomic() sees the exception, so the
    partial work is rolled back explicitly. Staff in the admin work through the audited
    maintenance path, which sees all tenants.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with tenant_scope():
            user = request.user
            if user.is_authenticated:
                set_tenant(user.pk)
            if user.is_authenticated and user.is_staff and request.path.startswith(ADMIN_PREFIX):
                with maintenance_access(f"admin {request.method} {request.path}", actor=user):
                    response = self.get_response(request)
                    if response.status_code >= 500:
                        transaction.set_rollback(True, using="maint")
            else:
                response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            return response
