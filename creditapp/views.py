from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import defaults

from creditapp.api import errors as api_errors


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("finance:dashboard")
    return render(request, "home.html")


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A path that matches nothing: the API's error shape under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_errors.not_found(request, exception)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return api_errors.server_error(request)
    return defaults.server_error(request)
