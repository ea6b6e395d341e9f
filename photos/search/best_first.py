"""Searches of several words with many matches: rank the matches first, then ask who may see the best of them.

Where the threshold algorithm (photos.search.threshold) cannot answer, every match of the query must
be scored ("dog beach": some 6,000 of 1M photos). Checking each match's visibility on the way (its
owner's row, follows, blocks) cost about half of that query (18 of 35 ms for "radio telescope" at 1M
photos): here the matches are ranked first, from the photo rows alone, and only the best
CANDIDATES_PER_ROW x (page size + 1) of them are checked and loaded.

Exact when it answers: the rows are the visible photos among the best candidates, in rank order, and a
visible match outside the candidates ranks below every candidate, so below every row. If fewer than a
page and one visible photos are among the candidates (few matches, or most hidden from the viewer),
``best_matches`` returns None and the caller ranks every match with the visibility check.
"""

from functools import lru_cache

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import QuerySet

from photos.explore.compiled import CompiledQuery
from photos.models import Photo
from photos.search.ranking import after_position, position_parameter, position_parameters, rank_matches
from photos.search.text import ParsedQuery
from photos.selectors import Viewer, photo_list, photos_visible_to

# A page of n photos checks the visibility of the best CANDIDATES_PER_ROW x (n + 1) matches.
CANDIDATES_PER_ROW = 4


def best_matches(viewer: Viewer, query: ParsedQuery, after, size: int) -> list[Photo] | None:
    """Return the next ``size + 1`` ranked rows ``viewer`` may see, or None when the best matches hold fewer."""
    rows = _best_query(query, after is not None, size).instances(viewer, *position_parameters(after))
    return rows if len(rows) > size else None


@lru_cache(maxsize=256)
def _best_query(query: ParsedQuery, after: bool, size: int) -> CompiledQuery:
    """The best matches of ``query`` after the position, checked for the viewer and ranked; compiled per search text."""

    def build(viewer: Viewer, *position: list[str]) -> QuerySet[Photo]:
        at = position_parameter(position)
        matches = after_position(rank_matches(Photo.objects.all(), query), at)
        best = matches.values("pk")[: CANDIDATES_PER_ROW * (size + 1)]
        checked = photos_visible_to(viewer).filter(pk__any_of=ArraySubquery(best))
        ranked = after_position(rank_matches(checked, query, by_keys=True), at)
        return photo_list(viewer, ranked, tags=False)[: size + 1]

    return CompiledQuery(build)
