"""The API's feed page, its query compiled once per process and page size (photos.explore.compiled).

Building the feed's queryset (the visibility rule, the follow filter, the list's annotations) took
the ORM about three milliseconds of CPU a page, longer than PostgreSQL takes to answer it; the SQL
is the same for every viewer and position, only the parameters differ. The queryset is still
``selectors.feed_for_user``: the one source of the SQL and of who sees what.
"""

from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from photos.cursors import cursor_decode, cursor_encode, row_id
from photos.explore.compiled import CompiledQuery
from photos.models import Photo, User
from photos.selectors import feed_for_user, moment_decode


def feed_api_page(user: User, *, cursor: str | None, size: int) -> tuple[list[Photo], str | None]:
    """Return a page of the feed (without tags: the API reads them as rows) and the next page's cursor.

    The cursor is feed_page's. The page's query is compiled once per process and page size
    (CompiledQuery): the visibility rule, the follow filter and the list's annotations took the ORM
    longer to build than PostgreSQL takes to answer. Raise InvalidCursor for a cursor not ours.
    """
    after = []
    if cursor is not None:
        created_at, photo_id = cursor_decode(cursor, moment_decode, row_id)
        after = [[created_at.isoformat(), str(photo_id)]]
    page = _feed_query(size, bool(after)).instances(user, *after)
    if len(page) <= size:
        return page, None
    last = page[size - 1]
    return page[:size], cursor_encode([last.created_at.isoformat(), last.pk])


_FEED_PAGES: dict[tuple[int, bool], CompiledQuery] = {}


def _feed_query(size: int, after: bool) -> CompiledQuery:
    """Return the compiled query of a feed page of ``size`` (one more, to tell whether more follow)."""

    def build(viewer: User, *position: list[str]) -> QuerySet[Photo]:
        # The search index columns are for the database (the search_weights JSON alone is parsed per row).
        photos = feed_for_user(viewer, tags=False).defer("search_document", "search_weights")
        if position:
            # The position is one array parameter, [created_at, id] (CompiledQuery binds lists whole).
            if connection.vendor == "postgresql":
                created_at = RawSQL("((%s::text[])[1])::timestamptz", position)
                photo_id = RawSQL("((%s::text[])[2])::bigint", position)
            else:
                created_at, photo_id = datetime.fromisoformat(position[0][0]), int(position[0][1])
            photos = photos.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=photo_id))
        return photos[: size + 1]

    if (size, after) not in _FEED_PAGES:
        _FEED_PAGES[size, after] = CompiledQuery(build)
    return _FEED_PAGES[size, after]
