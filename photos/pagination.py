"""Cursor pagination answering ``{"results": [...], "next": url|null}`` as the API contract says."""

from rest_framework import pagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from photos.cursors import cursor_decode, cursor_encode
from photos.limits import MAX_PAGE_SIZE

MAX_OFFSET = pagination.CursorPagination.offset_cutoff


def _position(value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError("a position is a string")
    return value


def _offset(value: object) -> int:
    # DRF caps the offset it reads (a huge one is a slow query); so do we.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_OFFSET:
        raise ValueError("not an offset")
    return value


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("a flag is true or false")
    return value


class CursorPagination(pagination.CursorPagination):
    ordering = ("-created_at", "-id")
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def encode_cursor(self, cursor: pagination.Cursor) -> str:
        """Return the URL of ``cursor``, written with the site's one cursor codec."""
        token = cursor_encode([cursor.offset, cursor.reverse, cursor.position])
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def decode_cursor(self, request) -> pagination.Cursor | None:
        """Return the cursor of ``request``, or None; raise InvalidCursor (a 400) when it is not ours."""
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None
        return pagination.Cursor(*cursor_decode(token, _offset, _flag, _position))

    def get_paginated_response(self, data) -> Response:
        return Response({"results": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["results", "next"],
            "properties": {
                "results": schema,
                "next": {"type": "string", "nullable": True, "format": "uri"},
            },
        }


class OldestFirstCursorPagination(CursorPagination):
    """For conversations, which read top to bottom."""

    ordering = ("created_at", "id")
