"""`{% site_name %}` and `{% site_url %}`, in every template without a `{% load %}` (a builtin library:
settings.TEMPLATES), emails included: the site as SITE_NAME and SITE_URL name it, never the request's
host."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return str(settings.SITE_NAME)


@register.simple_tag
def site_url() -> str:
    return str(settings.SITE_URL)
