"""Cursor pagination for every API list: `{"next", "previous", "results"}`, opaque cursors.

Page N costs what page 1 does (keyset, no OFFSET), and a page is stable while rows are inserted.
A page size above the documented maximum, or a cursor that is not one of ours, is a 400 naming the
parameter: nothing is silently cut or read as the first page.
"""

from __future__ import annotations

import binascii
import json
from base64 import b64decode, b64encode
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Field, Model, Q, QuerySet
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: the ordering columns of the row it follows, and which way it reads."""

    after: tuple[str, ...]
    backwards: bool = False


class KeysetPagination(CursorPagination):
    """Subclass per resource with its `ordering`: every column sorts the same way and the last one is
    unique (usually `id`). A cursor holds every ordering column of the row a page follows, so rows that
    arrive on a page boundary cannot shift it (DRF's own cursor counts rows from a position instead).
    DRF's CursorPagination is kept for its parameters, response shape and schema."""

    ordering: Any = ("-id",)
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = (
        f"Results per page, 1 to {MAX_PAGE_SIZE} ({DEFAULT_PAGE_SIZE} when not given); more is a 400."
    )
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = "Invalid cursor: use the `next` or `previous` link of a page as it is."

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        keyset = self.keyset_of(request, queryset.model)
        backwards = keyset is not None and keyset.backwards
        rows = queryset.order_by(*self._ordering(reverse=backwards))
        if keyset is not None:
            rows = rows.filter(self._beyond(keyset, reverse=backwards))
        page = list(rows[: size + 1])
        more = len(page) > size
        page = page[:size]
        if backwards:
            page.reverse()
        self._page, self._keyset = page, keyset
        self.has_next = bool(page) and (backwards or more)
        self.has_previous = keyset is not None and (more or not backwards)
        return page

    def _ordering(self, *, reverse: bool = False) -> list[str]:
        names = [self.ordering] if isinstance(self.ordering, str) else list(self.ordering)
        if reverse:
            return [name[1:] if name.startswith("-") else f"-{name}" for name in names]
        return names

    def _bind(self, model: type[Model]) -> None:
        self._fields: list[Field[Any, Any]] = [
            model._meta.get_field(name.lstrip("-"))  # type: ignore[misc]
            for name in self._ordering()
        ]

    def _beyond(self, keyset: Keyset, *, reverse: bool) -> Q:
        """Rows after `keyset.after` in the page's reading order: (a, b) > (x, y) spelt column by column."""
        values = [field.to_python(raw) for field, raw in zip(self._fields, keyset.after, strict=True)]
        beyond = Q()
        for i, name in enumerate(self._ordering(reverse=reverse)):
            column = name.lstrip("-")
            step = Q(**{f"{column}__{'lt' if name.startswith('-') else 'gt'}": values[i]})
            step &= Q(**{field.name: value for field, value in zip(self._fields[:i], values, strict=False)})
            beyond |= step
        return beyond

    def keyset_of(self, request: Request, model: type[Model]) -> Keyset | None:
        """The request's cursor, or None for the first page; anything we did not write is a 400."""
        self._bind(model)
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None or encoded == "":
            return None
        try:
            token = json.loads(b64decode(encoded, validate=True))
            after, backwards = token["after"], token["backwards"]
            if set(token) != {"after", "backwards"} or not isinstance(backwards, bool):
                raise ValueError
            if not isinstance(after, list) or len(after) != len(self._fields):
                raise ValueError
            if not all(isinstance(value, str) for value in after):
                raise ValueError
            keyset = Keyset(tuple(after), backwards)
            for field, value in zip(self._fields, keyset.after, strict=True):
                field.to_python(value)  # compared in SQL: it must read as the column's type
        except (binascii.Error, ValueError, TypeError, KeyError, DjangoValidationError):
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None
        return keyset

    def link_to(self, keyset: Keyset) -> str:
        token = json.dumps(
            {"after": list(keyset.after), "backwards": keyset.backwards}, separators=(",", ":")
        )
        return replace_query_param(
            str(self.base_url), self.cursor_query_param, b64encode(token.encode()).decode()
        )

    def _link(self, row: Any, *, backwards: bool) -> str:
        return self.link_to(Keyset(tuple(field.value_to_string(row) for field in self._fields), backwards))

    def get_next_link(self) -> str | None:
        return self._link(self._page[-1], backwards=False) if self.has_next else None

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        if not self._page:  # the rows around the cursor are gone: start over
            return remove_query_param(str(self.base_url), self.cursor_query_param)
        return self._link(self._page[0], backwards=True)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return int(field.run_validation(raw))
        except ValidationError as error:
            raise ValidationError({self.page_size_query_param: error.detail}) from None


class NewestFirst(KeysetPagination):
    ordering = ("-created_at", "-id")
