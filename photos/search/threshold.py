"""Searches of several common words: rank the photos near the top of each word's list first.

Fagin's threshold algorithm, one round, in one query; exact whenever it answers (see ``from_the_tops``).
"""

from functools import lru_cache
from typing import Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from photos.explore.compiled import CompiledQuery
from photos.models import Photo, PhotoSearchTerm
from photos.search.ranking import after_position, position_parameter, position_parameters, rank_matches
from photos.search.text import ParsedQuery
from photos.selectors import Viewer, photo_list, photos_visible_to

# A search of several words first ranks the photos among the first this many of each word's list.
TOP_PER_KEY = 250
# A list shorter than TOP_PER_KEY "ends" below any score: every photo with the key was ranked.
_LIST_ENDED = -1e9
# Scores summed in another order may differ in the last bits; closer than this they are equal.
_SAME_SCORE = 1e-9


def applies(query: ParsedQuery, min_weight: float) -> bool:
    return connection.vendor == "postgresql" and len(query.terms) > 1 and not min_weight


def from_the_tops(viewer: Viewer, query: ParsedQuery, after: Any, size: int) -> list[Photo] | None:
    """Return the next ``size + 1`` ranked rows from the photos near the top of some key's list, or None.

    A search of several common words matches a large share of the site ("animal pet": 165,000 of
    1M photos), and scoring and sorting every match took seconds. Fagin's threshold algorithm, one
    round: a photo beyond the first TOP_PER_KEY entries of every key's list (PhotoSearchTerm's index
    order: weight, created_at, photo, descending) weighs at most that list's edge entry for each
    key (and for each pair the query spells, whose weight counts where a photo has it), so it scores
    at most their sum: the bound. If the last row ranked among the photos near the tops scores above
    the bound, or on it but no later than every list's edge entry, no other photo comes before it,
    and the rows are exactly what ranking every match gives. If a key's list ends within TOP_PER_KEY,
    every photo with the key was ranked: exact too. Otherwise None, and the caller ranks every match.
    One query either way when it answers; its SQL is compiled once per process for each search text.
    """
    keys = _keys(query)
    rows = _tops_query(query, after is not None, size, TOP_PER_KEY).instances(viewer, *position_parameters(after))
    if not rows:
        return None
    first = rows[0]
    if first._bound < 0:
        return rows
    if len(rows) <= size or rows[size].score < first._bound - _SAME_SCORE:
        return None
    last = rows[size]
    if last.score > first._bound + _SAME_SCORE:
        return rows
    # On the bound, an unranked photo has each list's edge weight and comes after every edge entry
    # (a pair's list that ended has none: such a photo lacks the pair).
    entries = [(getattr(first, f"_edge_at{i}"), getattr(first, f"_edge_id{i}")) for i in range(len(keys))]
    return rows if (last.created_at, last.pk) >= min(e for e in entries if e[1] is not None) else None


def _keys(query: ParsedQuery) -> list[tuple[str, float]]:
    """Every key's list, and every pair's, with the weight a photo beyond a list's end has there.

    A pair adds its weight where a photo has it, so a photo outside the first entries of a pair's list
    has at most its edge weight there (none if it ended).
    """
    return [(key, _LIST_ENDED) for key in query.terms] + [(pair, 0.0) for pair in query.pairs]


@lru_cache(maxsize=256)
def _tops_query(query: ParsedQuery, after: bool, size: int, top: int) -> CompiledQuery:
    """The photos among the first ``top`` of ``query``'s lists, ranked, with the bound; compiled per search text."""

    def build(viewer: Viewer, *position: list[str]) -> QuerySet[Photo]:
        keys = _keys(query)
        near = [_term_list(key).values("photo_id")[:top] for key, _ in keys]
        bound, edges = Value(0.0), {}
        for i, (key, ended) in enumerate(keys):
            edge = _term_list(key)[top - 1 : top]
            bound = bound + Coalesce(Subquery(edge.values("weight")), Value(ended))
            edges |= {
                f"_edge_at{i}": Subquery(edge.values("created_at")),
                f"_edge_id{i}": Subquery(edge.values("photo_id")),
            }
        # = ANY(ARRAY(...)): the planner looks the few hundred ids up by primary key (with IN it
        # hashed them against a scan of every photo: 10 of the query's 12 ms at 20k photos).
        near_tops = photos_visible_to(viewer).filter(pk__any_of=ArraySubquery(near[0].union(*near[1:], all=True)))
        ranked = rank_matches(near_tops, query, by_keys=True)
        ranked = after_position(ranked, position_parameter(position)).annotate(_bound=bound, **edges)
        return photo_list(viewer, ranked, tags=False)[: size + 1]

    return CompiledQuery(build)


def _term_list(term: str) -> QuerySet[PhotoSearchTerm]:
    """A key's photos, heaviest then newest first: a walk of the (term, weight, created_at, photo) index."""
    return PhotoSearchTerm.objects.filter(term=term).order_by("-weight", "-created_at", "-photo_id")
