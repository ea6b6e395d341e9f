"""Search selectors: photos by what is in them, photos by tag, and popular tags.

Every query starts from ``photos_visible_to(viewer)`` and reads the index kept by
photos.search.index. A photo's score is the sum of the weights of the query's keys on the photo
(each key must be there), plus the weight of any two-word name the query spells out.

- One key (most searches, and tag pages): join the photo's PhotoSearchTerm row for the key.
  The join walks the (term, weight, created_at, photo) index best and newest first and stops
  after a page, however many photos match.
- Several keys on PostgreSQL: full-text search (``websearch_to_tsquery`` over the GIN-indexed
  ``search_document``) intersects the keys' posting lists, and the weights come from the
  photo's own ``search_weights``: no join per key, no sort of the larger lists.
- Several keys on SQLite: one PhotoSearchTerm join per key. Same weights, same results.

Quoted phrases must appear in that order in the caption, or be a whole tag or class name.
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import connection
from django.db.models import (
    Count,
    Max,
    QuerySet,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL

from photos.cursors import InvalidCursor, cursor_decode, cursor_encode, row_id
from photos.explore.compiled import CompiledQuery
from photos.models import Photo, Tag
from photos.search import best_first, ranking, threshold
from photos.search.index import TAG_WEIGHT
from photos.search.ranking import PositionParameter, after_position, rank_matches
from photos.search.reasons import match_reasons
from photos.search.text import MAX_KEY_LENGTH, ParsedQuery, name_key, parse_query
from photos.selectors import LIST_TAGS, Viewer, photo_list, photos_visible_to
from photos.tag_rows import tag_rows_load

POPULAR_TAGS_LIMIT = 20
# Searches of several words (or quoted) whose SQL a process keeps compiled, the most recent.
SEVERAL_WORDS_COMPILED = 256
POPULAR_WINDOW = 10_000  # photo ids


def photo_search(viewer: Viewer, query: str | ParsedQuery) -> QuerySet[Photo]:
    """Return the photos ``viewer`` may see that match ``query``, best first, with ``score``.

    A query matches tag names, their categories, the CNN classes behind the tags, hashtags and
    caption words, whatever the case, accents or number; every word must match.
    """
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    if not parsed:
        return Photo.objects.none()
    return photo_list(viewer, rank_matches(photos_visible_to(viewer), parsed))


def tag_query(name: str) -> ParsedQuery:
    """Return the query a tag page runs: the tag's whole name as one key."""
    key = name_key(name)
    return ParsedQuery(terms=(key,)) if key and len(key) <= MAX_KEY_LENGTH else ParsedQuery()


def tag_photos(viewer: Viewer, name: str) -> QuerySet[Photo]:
    """Return the photos ``viewer`` may see that carry the tag ``name`` (any source), best first.

    Singular and plural name the same tag page; a category or a caption word is not a tag.
    """
    query = tag_query(name)
    if not query:
        return Photo.objects.none()
    return photo_list(viewer, rank_matches(photos_visible_to(viewer), query, min_weight=TAG_WEIGHT))


def popular_tags(viewer: Viewer, prefix: str = "", *, limit: int = POPULAR_TAGS_LIMIT) -> list[dict]:
    """Return the tags most used lately on photos ``viewer`` may see, with counts, optionally by name prefix.

    Counts cover the photos ``viewer`` may see among the POPULAR_WINDOW newest photos of the site:
    what is popular now, at a cost that does not grow with the site. Only visible photos are
    counted, so a tag that only photos hidden from the viewer carry is not listed at all.
    """
    # A literal id bound (not a subquery) lets the database see how few photos the window holds.
    newest = Photo.objects.aggregate(newest=Max("pk"))["newest"] or 0
    recent = photos_visible_to(viewer).filter(pk__gt=newest - POPULAR_WINDOW).values("pk")
    tags = Tag.objects.filter(photo_tags__photo__in=recent)
    prefix = prefix.strip().lstrip("#").casefold()[:MAX_KEY_LENGTH]
    if prefix:
        tags = tags.filter(name__startswith=prefix)
    tags = tags.annotate(photo_count=Count("photo_tags__photo", distinct=True)).order_by("-photo_count", "name")
    return [{"name": t.name, "categories": t.categories, "photo_count": t.photo_count} for t in tags[:limit]]


# Pages: keyset pagination on (score, created_at, id), so page 50 costs what page 1 does
# and no COUNT(*) is ever run.


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last photo's sort key."""

    score: float
    created_at: datetime
    photo_id: int

    def encode(self) -> str:
        """Return the position as an opaque URL-safe cursor."""
        return cursor_encode([self.score, self.created_at.isoformat(), self.photo_id])

    @classmethod
    def decode(cls, cursor: str) -> "Position":
        """Return the position in ``cursor``; raise InvalidCursor when it is not one of ours."""
        position = cls(*cursor_decode(cursor, float, datetime.fromisoformat, row_id))
        if position.created_at.tzinfo is None:
            raise InvalidCursor
        return position


@dataclass
class SearchPage:
    """One page of ranked photos and the cursor of the next page (None on the last one)."""

    photos: list[Photo]
    next_cursor: str | None = None


def search_page(
    viewer: Viewer,
    query: ParsedQuery,
    *,
    cursor: str | None,
    size: int,
    tags_only: bool = False,
    tag_rows: bool = False,
) -> SearchPage:
    """Return the page after ``cursor`` of what ``photo_search`` (or, ``tags_only``, ``tag_photos``) finds.

    Each photo gets ``score``, ``matched_tags`` and ``caption_match`` (see ``match_reasons``).
    Two queries whatever ``size``: the page's photos, and their tags (``tag_rows``: as photos.tag_rows'
    rows, for the API, rather than prefetched ``photo_tags``).
    """
    if not query:
        return SearchPage([])
    min_weight = TAG_WEIGHT if tags_only else 0.0
    after = Position.decode(cursor) if cursor else None
    if connection.vendor == "postgresql" and len(query.terms) == 1 and not query.pairs and not query.phrases:
        # One word, most searches and every tag page: its SQL is compiled once per process.
        position = ranking.position_parameters(after)
        rows = _one_word_query(min_weight, bool(after), size).instances(viewer, [query.terms[0]], *position)
    else:
        rows = None
        if threshold.applies(query, min_weight):
            rows = (
                best_first.kept_matches(viewer, query, after, size)
                or threshold.from_the_tops(viewer, query, after, size)
                or best_first.best_matches(viewer, query, after, size)
            )
        if rows is None:
            rows = _several_words_query(query, min_weight, bool(after), size).instances(
                viewer, *ranking.position_parameters(after)
            )
    page = SearchPage(rows[:size])
    if tag_rows:
        tag_rows_load(page.photos, viewer)
    else:
        prefetch_related_objects(page.photos, LIST_TAGS)
    for photo in page.photos:
        photo.matched_tags, photo.caption_match = match_reasons(photo, query)
    if len(rows) > size:
        last = page.photos[-1]
        page.next_cursor = Position(last.score, last.created_at, last.pk).encode()
    return page


def _page_query(
    viewer: Viewer, query: ParsedQuery, min_weight: float, after: "Position | PositionParameter | None", size: int
) -> QuerySet[Photo]:
    ranked = rank_matches(photos_visible_to(viewer), query, min_weight=min_weight)
    return photo_list(viewer, after_position(ranked, after), tags=False)[: size + 1]


@lru_cache(maxsize=SEVERAL_WORDS_COMPILED)
def _several_words_query(query: ParsedQuery, min_weight: float, after: bool, size: int) -> CompiledQuery:
    """Return the compiled query of a page of ``query`` (several words, or quoted): the position is its parameter.

    Its words are in the SQL, so it is compiled once per process for each search text: searches repeat
    (the popular ones most), and building and compiling the ranking took the ORM longer than
    PostgreSQL takes to run it (28 ms of Python against 2 ms of SQL for "dog beach" at 20k photos).
    """

    def build(viewer: Viewer, *position: list[str]) -> QuerySet[Photo]:
        return _page_query(viewer, query, min_weight, ranking.position_parameter(position), size)

    return CompiledQuery(build)


_ONE_WORD_PAGES: dict[tuple[float, bool, int], CompiledQuery] = {}


def _one_word_query(min_weight: float, after: bool, size: int) -> CompiledQuery:
    """Return the compiled query of a one-word search page; the word and the position are its parameters."""

    def build(viewer: Viewer, word: list[str], *position: list[str]) -> QuerySet[Photo]:
        query = ParsedQuery(terms=(RawSQL("(%s::text[])[1]", [word]),))
        return _page_query(viewer, query, min_weight, ranking.position_parameter(position), size)

    key = (min_weight, after, size)
    if key not in _ONE_WORD_PAGES:
        _ONE_WORD_PAGES[key] = CompiledQuery(build)
    return _ONE_WORD_PAGES[key]
