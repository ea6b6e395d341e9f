"""Where Explore finds photos besides the item model, and the interface a new source implements.

The item model (``photos.explore.scoring``) can offer only photos people interacted with, and
only once it is built. A candidate source fills the rest of the ranking below the model's
results: ``LiveRanking`` reads the latest visible photos and their activity of the week at
request time, so Explore is never empty while any photo is visible, on a site with no model
yet or for a person the model has nothing for.

Item cold start: ``LooksLikeViewed`` offers photos nobody has viewed yet by what they look like
(their CNN embeddings near the mean of what the person viewed), "Looks like photos you viewed".
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np
from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from django.utils import timezone

from photos.explore.compiled import CompiledQuery, ids_filter
from photos.models import Like, PhotoTag, PhotoView
from photos.selectors import Viewer, photos_visible_to
from photos.similar.models import PhotoEmbedding
from photos.similar.vectors import vectors_unpack

# Week views from which a photo is called popular, and from which counts are given exactly: with a
# fake account or two, a small number tells who viewed what ("2 people": the fake and the one person).
POPULAR_FROM = 10
EXACT_COUNT_FROM = 10
LIVE_POOL = 200
LIVE_HALF_LIFE_DAYS = 3.0
LIKE_WEIGHT = 3.0
WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Reason:
    kind: str  # "co_view", "tag", "category", "popular", "recent" or "looks_like"
    text: str
    photo_id: int | None = None
    tag: str | None = None
    count: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A photo a source offers: visible to the person, not theirs, not seen; ``score`` in (0, 1]."""

    photo_id: int
    owner_id: int
    tag_id: int | None  # its surest tag, for diversity
    score: float
    reason: Reason


class CandidateSource(Protocol):
    def candidates(self, viewer: Viewer, *, history: Collection[int], limit: int) -> list[Candidate]:
        """Return up to ``limit`` candidates for ``viewer``, best first, in one query."""
        ...


def people_count(count: int) -> int | None:
    """Return ``count`` of other people if it is large enough to say exactly, else None ("a few")."""
    return count if count >= EXACT_COUNT_FROM else None


def popularity_reason(week_views: int, *, new: bool = False) -> Reason:
    """Return the reason of a photo picked for its activity: "popular" only from POPULAR_FROM views this week."""
    if week_views >= POPULAR_FROM:
        return Reason("popular", "Popular this week", count=people_count(week_views))
    if week_views:
        return Reason("recent", "Viewed by others lately")
    return Reason("recent", "New on socialsite" if new else "Viewed by others")


def surest_tag() -> Subquery:
    """Return an annotation: the id of a photo's most confident tag (None for none)."""
    tags = PhotoTag.objects.filter(photo=OuterRef("pk")).order_by("-confidence", "tag_id").values("tag_id")
    return Subquery(tags[:1])


def _week_count(model, time_field: str, since) -> Coalesce:
    rows = model.objects.filter(photo=OuterRef("pk"), **{f"{time_field}__gte": since}).order_by()
    counted = rows.values("photo").annotate(count=Count("pk")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class LiveRanking:
    """The latest visible photos, ranked by this week's views and likes, newer ones first among equals."""

    def candidates(self, viewer: Viewer, *, history: Collection[int], limit: int) -> list[Candidate]:
        now = timezone.now()
        rows = _LIVE.rows(viewer, list(history), [(now - WEEK).isoformat()])
        scored = []
        for pk, owner_id, tag_id, created_at, views, likes in rows:
            age_days = max((now - created_at).total_seconds() / 86400, 0.0)
            activity = 1.0 + views + LIKE_WEIGHT * likes
            reason = popularity_reason(views, new=age_days <= WEEK.days)
            if not views and not likes and age_days > WEEK.days:
                reason = Reason("recent", "From around socialsite")
            scored.append((activity * 2 ** (-age_days / LIVE_HALF_LIFE_DAYS), pk, owner_id, tag_id, reason))
        scored.sort(key=lambda row: (-row[0], -row[1]))
        top = scored[0][0] if scored else 1.0
        return [
            Candidate(pk, owner_id, tag_id, max(score / top, 1e-9), reason)
            for score, pk, owner_id, tag_id, reason in scored[:limit]
        ]


def _live_rows(viewer: Viewer, history: list[int], since: list[str]) -> QuerySet:
    # ``since`` is one array parameter (CompiledQuery binds lists whole): [the start of the week].
    if connection.vendor == "postgresql":
        week_start = RawSQL("((%s::text[])[1])::timestamptz", [since])
    else:
        week_start = datetime.fromisoformat(since[0])
    photos = photos_visible_to(viewer).exclude(ids_filter("pk", history))
    if viewer.is_authenticated:
        photos = photos.exclude(owner=viewer).exclude(views__user=viewer).exclude(likes__user=viewer)
        photos = photos.exclude(comments__author=viewer)
    return (
        photos.order_by("-created_at", "-pk")[:LIVE_POOL]
        .annotate(
            week_views=_week_count(PhotoView, "viewed_at", week_start),
            week_likes=_week_count(Like, "created_at", week_start),
            tag=surest_tag(),
        )
        .values_list("pk", "owner_id", "tag", "created_at", "week_views", "week_likes")
    )


# Built and compiled once per process (photos.explore.compiled): the ORM took longer than PostgreSQL.
_LIVE = CompiledQuery(_live_rows)


# Never-viewed photos weighed by LooksLikeViewed (the newest), the latest viewed photos it averages,
# and the cosine below which a photo is not said to look like them.
COLD_POOL = 300
COLD_ANCHORS = 20
COLD_MIN_SIMILARITY = 0.6


class LooksLikeViewed:
    """Photos nobody has viewed yet whose CNN embedding is near the mean of what the person viewed.

    Item cold start: the item model knows only photos people interacted with; this gives a new
    photo its first viewers by how it looks. One query reads the anchors' and the pool's vectors.
    """

    def candidates(self, viewer: Viewer, *, history: Collection[int], limit: int) -> list[Candidate]:
        if not viewer.is_authenticated or not history:
            return []
        rows = _COLD.rows(viewer, list(history)[:COLD_ANCHORS], list(history))
        anchor_rows = [row for row in rows if row[2]]
        offered = [row for row in rows if not row[2]]
        if not anchor_rows or not offered:
            return []
        centre = vectors_unpack([row[1] for row in anchor_rows]).mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        similarities = vectors_unpack([row[1] for row in offered]) @ centre
        order = [i for i in np.argsort(-similarities, kind="stable") if similarities[i] >= COLD_MIN_SIMILARITY]
        reason = Reason("looks_like", "Looks like photos you viewed")
        return [
            Candidate(offered[i][0], offered[i][3], offered[i][4], float(similarities[i]), reason)
            for i in order[:limit]
        ]


def _cold_rows(viewer: Viewer, anchor_ids: list[int], history: list[int]) -> QuerySet:
    """The anchors' vectors and the pool's (never viewed, newest first), in one query."""
    from recognition.efficientnet_lite import MODEL_VERSION

    current = PhotoEmbedding.objects.filter(model_version=MODEL_VERSION)
    anchors = current.filter(ids_filter("photo_id", anchor_ids)).annotate(
        anchor=Value(True), owner=Value(0), tag=Value(None, output_field=IntegerField())
    )
    never_viewed = ~Exists(PhotoView.objects.filter(photo=OuterRef("pk")))
    pool = (
        photos_visible_to(viewer)
        .exclude(ids_filter("pk", history))
        .exclude(owner=viewer)
        .filter(never_viewed, embedding__model_version=MODEL_VERSION)
        .order_by("-created_at", "-pk")
        .annotate(anchor=Value(False), tag=surest_tag())
        .values_list("pk", "embedding__vector", "anchor", "owner_id", "tag")[:COLD_POOL]
    )
    return anchors.values_list("photo_id", "vector", "anchor", "owner", "tag").union(pool, all=True)


_COLD = CompiledQuery(_cold_rows)


# Sources that fill Explore below the item model's results, in order: new photos that look like
# what the person viewed first (they have no other way in), then the live ranking.
FILL_SOURCES: list[CandidateSource] = [LooksLikeViewed(), LiveRanking()]
