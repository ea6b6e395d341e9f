"""How a search ranks photos: which match every key of a query, and their score (see photos.search.selectors)."""

from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Exists,
    F,
    FilteredRelation,
    FloatField,
    Func,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Concat

from photos.models import Photo, PhotoSearchTerm
from photos.search.text import ParsedQuery


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


def _by_document(photos: QuerySet[Photo], query: ParsedQuery, *, by_keys: bool = False) -> QuerySet[Photo]:
    if by_keys:
        # Among photos already chosen by id, a key is cheaper to look up in the weights than in the document.
        photos = photos.filter(search_weights__has_keys=list(query.terms))
    else:
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


def rank_matches(
    photos: QuerySet[Photo], query: ParsedQuery, *, min_weight: float = 0.0, by_keys: bool = False
) -> QuerySet[Photo]:
    """Return ``photos`` that match every key of ``query``, annotated with ``score``, best first."""
    if connection.vendor == "postgresql" and len(query.terms) > 1 and not min_weight:
        photos = _by_document(photos, query, by_keys=by_keys)
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


def after_position(ranked: QuerySet[Photo], after: "Any | None") -> QuerySet[Photo]:
    if after is None:
        return ranked
    return ranked.filter(
        Q(score__lt=after.score)
        | Q(score=after.score, _created_at__lt=after.created_at)
        | Q(score=after.score, _created_at=after.created_at, _photo_id__lt=after.photo_id)
    )


@dataclass(frozen=True)
class PositionParameter:
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


def position_parameters(after: Any) -> list[list[str]]:
    """Return ``after`` (a search Position, or None) as compiled page queries take it: no list, or one."""
    return [[str(after.score), after.created_at.isoformat(), str(after.photo_id)]] if after else []


def position_parameter(position: tuple[list[str], ...]) -> "PositionParameter | None":
    """The page position a compiled query's ``build`` gets, from the lists ``position_parameters`` gave."""
    return PositionParameter(position[0]) if position else None
