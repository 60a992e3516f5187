"""The project's URLs plus small views behind each billing gate, so the gates are tested as views
use them."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path

from billing.decorators import entitlement_required, plan_required
from creditapp.urls import urlpatterns as project_urls
from finance.banking.allowance import institution_slot_required


def gated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("through the gate")


gates: list[URLPattern | URLResolver] = [
    path("csv_export/", login_required(entitlement_required("csv_export")(gated))),
    path("advanced_charts/", login_required(entitlement_required("advanced_charts")(gated))),
    path("api_access/", login_required(entitlement_required("api_access")(gated))),
    path("writable/", login_required(plan_required(gated))),
    path("connect-a-bank/", login_required(institution_slot_required(gated))),
]

urlpatterns: list[URLPattern | URLResolver] = [path("_gates/", include(gates))]
urlpatterns += project_urls
