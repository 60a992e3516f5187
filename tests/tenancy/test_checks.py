from __future__ import annotations

from django.test import override_settings
from django.urls import clear_url_caches, path
from rest_framework.response import Response
from rest_framework.views import APIView

from creditapp.tenancy.checks import api_views_set_the_tenant


class PlainAPIView(APIView):
    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({})


urlpatterns = [path("plain", PlainAPIView.as_view())]


def test_the_project_urlconf_passes() -> None:
    assert api_views_set_the_tenant(None) == []


def test_a_drf_view_without_the_tenant_mixin_is_an_error() -> None:
    with override_settings(ROOT_URLCONF=__name__):
        clear_url_caches()
        errors = api_views_set_the_tenant(None)
    clear_url_caches()
    assert [e.id for e in errors] == ["tenancy.E001"]
    assert "PlainAPIView" in errors[0].msg
