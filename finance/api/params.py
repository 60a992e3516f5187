"""Query parameters are checked, not guessed: a name the operation does not take is a 400 naming it, as
is a value that does not parse. A misspelt filter quietly ignored would return the wrong rows."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

# DRF's own: `?format=json` picks the renderer.
COMMON_PARAMETERS = frozenset({"format"})
READ_METHODS = ("GET", "HEAD")


class KnownQueryParametersMixin:
    """For API views: a read that takes query parameters (filters, pagination, or `query_parameters`,
    a view's own, documented beside it) refuses any other. Reads that take none ignore them, as
    DRF does."""

    query_parameters: frozenset[str] = frozenset()

    def known_query_parameters(self) -> set[str]:
        names = set(COMMON_PARAMETERS | self.query_parameters)
        if getattr(self, "action", "list") == "list":
            filterset_class = getattr(self, "filterset_class", None)
            if filterset_class is not None:
                names |= set(filterset_class.base_filters)
            paginator = getattr(self, "paginator", None)
            if paginator is not None:
                names |= {paginator.cursor_query_param, paginator.page_size_query_param}
        return names

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        if request.method in READ_METHODS:
            known = self.known_query_parameters()
            unknown = sorted(set(request.query_params) - known)
            if unknown and known - COMMON_PARAMETERS:
                raise ValidationError({name: ["Unknown query parameter."] for name in unknown})
