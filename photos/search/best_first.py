"""Searches of several words with many matches: rank the matches first, then ask who may see the best of them.

Where the threshold algorithm (photos.search.threshold) cannot answer, every match of the query must
be scored ("dog beach": some 6,000 of 1M photos). Checking each match's visibility on the way (its
owner's row, follows, blocks) cost about half of that query (18 of 35 ms for "radio telescope" at 1M
photos): here the matches are ranked first, from the photo rows alone, and only the best
CANDIDATES_PER_ROW x (page size + 1) of them are checked and loaded.

Exact when it answers: the rows are the visible photos among the best candidates, in rank order, and a
visible match outside the candidates ranks below every candidate, so below every row. If fewer than a
page and one visible photos are among the candidates (few matches, or most hidden from the viewer),
it returns None and the caller ranks every match with the visibility check.

The best candidates are the same for every viewer, so they are kept in the cache for
SEARCH_CANDIDATES_SECONDS (as Elasticsearch's request cache keeps a search's hits): the next person
to run the search gets their page from them with one short query, checked live for them (who may see
each photo, whether it still matches, its score now). What keeping costs: a photo posted or tagged in
the meantime joins that search's pages when the kept candidates expire.
"""

import hashlib
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet

from photos.explore.compiled import CompiledQuery, ids_filter
from photos.models import Photo
from photos.search.ranking import after_position, position_parameter, position_parameters, rank_matches
from photos.search.text import ParsedQuery
from photos.selectors import Viewer, photo_list, photos_visible_to

# A page of n photos checks the visibility of the best CANDIDATES_PER_ROW x (n + 1) matches.
CANDIDATES_PER_ROW = 4


def candidates_key(query: ParsedQuery, after, size: int) -> str:
    """Return the cache key of the best matches of ``query`` after a position (a search Position or None)."""
    text = repr((query, position_parameters(after), size, CANDIDATES_PER_ROW))
    return "search:best:v1:" + hashlib.sha256(text.encode()).hexdigest()


def kept_matches(viewer: Viewer, query: ParsedQuery, after, size: int) -> list[Photo] | None:
    """Return the next ``size + 1`` rows from the best matches kept for this search, or None (none kept, too few)."""
    ids = cache.get(candidates_key(query, after, size))
    return None if ids is None else _checked(viewer, query, after, size, ids)


def best_matches(viewer: Viewer, query: ParsedQuery, after, size: int) -> list[Photo] | None:
    """Rank every match, keep the best for everyone, return the next ``size + 1`` rows ``viewer`` may see, or None."""
    position = position_parameters(after)
    ids = [row[0] for row in _best_query(query, after is not None, size).rows(viewer, *position)]
    cache.set(candidates_key(query, after, size), ids, settings.SEARCH_CANDIDATES_SECONDS)
    return _checked(viewer, query, after, size, ids)


def _checked(viewer: Viewer, query: ParsedQuery, after, size: int, ids: list[int]) -> list[Photo] | None:
    rows = _checked_query(query, after is not None, size).instances(viewer, ids, *position_parameters(after))
    return rows if len(rows) > size else None


@lru_cache(maxsize=256)
def _best_query(query: ParsedQuery, after: bool, size: int) -> CompiledQuery:
    """The ids of the best matches of ``query`` after the position, whoever asks; compiled per search text."""

    def build(viewer: Viewer, *position: list[str]) -> QuerySet[Photo]:
        matches = after_position(rank_matches(Photo.objects.all(), query), position_parameter(position))
        return matches.values_list("pk")[: CANDIDATES_PER_ROW * (size + 1)]

    return CompiledQuery(build)


@lru_cache(maxsize=256)
def _checked_query(query: ParsedQuery, after: bool, size: int) -> CompiledQuery:
    """Those of the given photos ``viewer`` may see that still match, ranked, after the position; compiled per text."""

    def build(viewer: Viewer, ids: list[int], *position: list[str]) -> QuerySet[Photo]:
        at = position_parameter(position)
        checked = photos_visible_to(viewer).filter(ids_filter("pk", ids))
        ranked = after_position(rank_matches(checked, query, by_keys=True), at)
        return photo_list(viewer, ranked, tags=False)[: size + 1]

    return CompiledQuery(build)
