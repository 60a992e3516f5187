"""Cursor pagination for every API list: `{"next", "previous", "results"}`, opaque cursors.

Page N costs what page 1 does (keyset, no OFFSET), and a page is stable while rows are inserted.
A page size above the documented maximum, or a cursor that is not one of ours, is a 400 naming the
parameter: nothing is silently cut or read as the first page.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView

BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class KeysetPagination(CursorPagination):
    """Subclass per resource with its `ordering` (unique in its last column, usually `id`)."""

    ordering: Any = ("-id",)
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = (
        f"Results per page, 1 to {MAX_PAGE_SIZE} ({DEFAULT_PAGE_SIZE} when not given); more is a 400."
    )
    max_page_size = MAX_PAGE_SIZE
    invalid_cursor_message = "Invalid cursor: use the `next` or `previous` link of a page as it is."
    _model: type[Model] | None = None

    def paginate_queryset(
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        # DRF skips characters outside base64's alphabet, so junk would quietly read as the first page.
        if encoded is not None and not BASE64.fullmatch(encoded):
            raise self._invalid_cursor()
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid_cursor() from None
        if cursor is not None and cursor.position is not None:
            self._check_position(cursor.position)
        return cursor

    def _check_position(self, position: str) -> None:
        """The position is compared with the first ordering column in SQL: it must read as one."""
        if self._model is None:
            return
        first = self.ordering[0] if isinstance(self.ordering, list | tuple) else self.ordering
        try:
            field = self._model._meta.get_field(first.lstrip("-"))
            field.to_python(position)
        except FieldDoesNotExist:
            return
        except (DjangoValidationError, ValueError, TypeError):
            raise self._invalid_cursor() from None

    def _invalid_cursor(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})

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
