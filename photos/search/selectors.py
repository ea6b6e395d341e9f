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
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Func,
    Max,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Concat

from photos.cursors import InvalidCursor, cursor_decode, cursor_encode, row_id
from photos.explore.compiled import CompiledQuery
from photos.models import Photo, PhotoSearchTerm, Tag
from photos.search.index import TAG_WEIGHT
from photos.search.text import MAX_KEY_LENGTH, ParsedQuery, name_key, parse_query, text_keys
from photos.selectors import LIST_TAGS, Viewer, photo_list, photos_visible_to
from photos.tag_rows import tag_rows_load, tags_of

POPULAR_TAGS_LIMIT = 20
POPULAR_WINDOW = 10_000  # photo ids


class _WebSearch(Func):
    """PostgreSQL: whether a document has every word; the expression of the GIN index in migration 0002."""

    arity = 2
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        (document, document_params), (words, words_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = f"to_tsvector('simple'::regconfig, {document}) @@ websearch_to_tsquery('simple'::regconfig, {words})"
        return sql, (*document_params, *words_params)


def _by_term_joins(photos: QuerySet[Photo], query: ParsedQuery, min_weight: float) -> QuerySet[Photo]:
    joins = {
        f"_term{i}": FilteredRelation("search_terms", condition=Q(search_terms__term=t))
        for i, t in enumerate(query.terms)
    }
    pairs = {
        f"_pair{i}": FilteredRelation("search_terms", condition=Q(search_terms__term=p))
        for i, p in enumerate(query.pairs)
    }
    photos = photos.annotate(**joins, **pairs).filter(**{f"{name}__weight__gte": min_weight for name in joins})
    score = F("_term0__weight")
    for name in [*list(joins)[1:], *pairs]:
        # A pair that is no name on the photo adds nothing; the outer join leaves it NULL.
        score = score + (Coalesce(F(f"{name}__weight"), 0.0) if name in pairs else F(f"{name}__weight"))
    # Sort by the first join's copy of created_at and photo id: with one key, PostgreSQL then
    # reads the rank index in order and stops after a page instead of sorting every match.
    return photos.annotate(score=score, _created_at=F("_term0__created_at"), _photo_id=F("_term0__photo_id"))


def _by_document(photos: QuerySet[Photo], query: ParsedQuery) -> QuerySet[Photo]:
    # Keys are letters and digits, and never a stopword such as "or": websearch syntax sees plain words.
    photos = photos.filter(_WebSearch(F("search_document"), Value(" ".join(query.terms))))
    weights = [_weight(key) for key in query.terms]
    # Most word pairs are no name at all: one index probe (run once, not per photo) spares
    # reading the pair's weight from every matching photo.
    weights += [
        Case(When(Exists(PhotoSearchTerm.objects.filter(term=key)), then=_weight(key)), default=0.0)
        for key in query.pairs
    ]
    score = weights[0]
    for weight in weights[1:]:
        score = score + weight
    return photos.annotate(score=score, _created_at=F("created_at"), _photo_id=F("pk"))


def _weight(key: str) -> Coalesce:
    return Coalesce(Cast(KeyTextTransform(key, "search_weights"), FloatField()), 0.0)


def _ranked(photos: QuerySet[Photo], query: ParsedQuery, *, min_weight: float = 0.0) -> QuerySet[Photo]:
    """Return ``photos`` that match every key of ``query``, annotated with ``score``, best first."""
    if connection.vendor == "postgresql" and len(query.terms) > 1 and not min_weight:
        photos = _by_document(photos, query)
    else:
        photos = _by_term_joins(photos, query, min_weight)
    if query.phrases:
        # The document starts with the caption's keys in order, space-separated; other keys are
        # joined by " , " and follow a " | ", so a phrase can only match inside the caption.
        photos = photos.annotate(
            _padded_document=Concat(Value(" "), "search_document", Value(" "), output_field=TextField())
        )
    for phrase in query.phrases:
        photos = photos.filter(Q(_padded_document__contains=f" {phrase} ") | Q(search_weights__has_key=phrase))
    # The index columns are for the database; leaving them out keeps the rows that get sorted narrow.
    return photos.defer("search_document", "search_weights").order_by("-score", "-_created_at", "-_photo_id")


def photo_search(viewer: Viewer, query: str | ParsedQuery) -> QuerySet[Photo]:
    """Return the photos ``viewer`` may see that match ``query``, best first, with ``score``.

    A query matches tag names, their categories, the CNN classes behind the tags, hashtags and
    caption words, whatever the case, accents or number; every word must match.
    """
    parsed = query if isinstance(query, ParsedQuery) else parse_query(query)
    if not parsed:
        return Photo.objects.none()
    return photo_list(viewer, _ranked(photos_visible_to(viewer), parsed))


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
    return photo_list(viewer, _ranked(photos_visible_to(viewer), query, min_weight=TAG_WEIGHT))


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
        position = [[str(after.score), after.created_at.isoformat(), str(after.photo_id)]] if after else []
        rows = _one_word_query(min_weight, bool(after), size).instances(viewer, [query.terms[0]], *position)
    else:
        rows = list(_page_query(viewer, query, min_weight, after, size))
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
    viewer: Viewer, query: ParsedQuery, min_weight: float, after: "Position | _PositionParameter | None", size: int
) -> QuerySet[Photo]:
    ranked = _ranked(photos_visible_to(viewer), query, min_weight=min_weight)
    if after is not None:
        ranked = ranked.filter(
            Q(score__lt=after.score)
            | Q(score=after.score, _created_at__lt=after.created_at)
            | Q(score=after.score, _created_at=after.created_at, _photo_id__lt=after.photo_id)
        )
    return photo_list(viewer, ranked, tags=False)[: size + 1]


@dataclass(frozen=True)
class _PositionParameter:
    """A Position as one array parameter ([score, created_at, id] as text), for a compiled query."""

    array: list

    @property
    def score(self) -> RawSQL:
        return RawSQL("((%s::text[])[1])::float8", [self.array])

    @property
    def created_at(self) -> RawSQL:
        return RawSQL("((%s::text[])[2])::timestamptz", [self.array])

    @property
    def photo_id(self) -> RawSQL:
        return RawSQL("((%s::text[])[3])::bigint", [self.array])


_ONE_WORD_PAGES: dict[tuple[float, bool, int], CompiledQuery] = {}


def _one_word_query(min_weight: float, after: bool, size: int) -> CompiledQuery:
    """Return the compiled query of a one-word search page; the word and the position are its parameters."""

    def build(viewer: Viewer, word: list[str], *position: list[str]) -> QuerySet[Photo]:
        query = ParsedQuery(terms=(RawSQL("(%s::text[])[1]", [word]),))
        return _page_query(viewer, query, min_weight, _PositionParameter(position[0]) if position else None, size)

    key = (min_weight, after, size)
    if key not in _ONE_WORD_PAGES:
        _ONE_WORD_PAGES[key] = CompiledQuery(build)
    return _ONE_WORD_PAGES[key]


def page_tag(page: SearchPage) -> tuple[str, list[str]] | None:
    """Return the name and categories of a tag page's tag as its photos carry it (None without photos)."""
    for photo in page.photos:
        for matched in photo.matched_tags:
            if matched.match == "tag":
                tag = next(pt.tag for pt in photo.photo_tags.all() if pt.tag.name == matched.name)
                return tag.name, tag.categories or []
    return None


@dataclass(frozen=True)
class MatchedTag:
    """A tag of a result and how it matched the query."""

    name: str
    source: str
    confidence: float
    match: str  # "tag", "category" or "class"
    on: str  # the name that matched: the tag, one of its categories or a CNN class


@lru_cache(maxsize=4096)
def _name_keys(name: str) -> frozenset[str]:
    keys = text_keys(name)
    return frozenset([" ".join(keys), *keys]) if keys else frozenset()


def _matches(name: str, wanted: set[str]) -> bool:
    return not _name_keys(name).isdisjoint(wanted)


def match_reasons(photo: Photo, query: ParsedQuery) -> tuple[list[MatchedTag], bool]:
    """Return the photo's tags that match ``query`` (best reason each) and whether its caption does.

    Works on the tags already loaded with the photo: explaining a page costs no query.
    """
    wanted = {*query.terms, *query.pairs, *query.phrases}
    matched = []
    for tag in tags_of(photo):
        candidates = [
            ("tag", [tag.name]),
            ("category", tag.categories or []),
            ("class", [str(seen.get("name", "")) for seen in tag.classes or []]),
        ]
        for kind, names in candidates:
            name = next((name for name in names if _matches(name, wanted)), None)
            if name is not None:
                matched.append(MatchedTag(tag.name, tag.source, tag.confidence, kind, name))
                break
    return matched, bool(wanted & set(text_keys(photo.caption)))
