"""Where Explore finds photos besides the item model, and the interface a new source implements.

The item model (``photos.explore.scoring``) can offer only photos people interacted with, and
only once it is built. A candidate source fills the rest of the ranking below the model's
results: ``LiveRanking`` reads the latest visible photos and their activity of the week at
request time, so Explore is never empty while any photo is visible, on a site with no model
yet or for a person the model has nothing for.

Item cold start goes here too: a source offering photos nobody has viewed yet by what they look
like (CNN embeddings, "Looks like photos you viewed") implements ``CandidateSource`` and joins
``FILL_SOURCES``; not built yet, it waits for the embeddings.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from photos.models import Like, PhotoTag, PhotoView
from photos.selectors import Viewer, photos_visible_to

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
    kind: str  # "co_view", "tag", "category", "popular" or "recent"
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
        photos = photos_visible_to(viewer).exclude(pk__in=list(history))
        if viewer.is_authenticated:
            photos = photos.exclude(owner=viewer).exclude(views__user=viewer).exclude(likes__user=viewer)
            photos = photos.exclude(comments__author=viewer)
        rows = (
            photos.order_by("-created_at", "-pk")[:LIVE_POOL]
            .annotate(
                week_views=_week_count(PhotoView, "viewed_at", now - WEEK),
                week_likes=_week_count(Like, "created_at", now - WEEK),
                tag=surest_tag(),
            )
            .values_list("pk", "owner_id", "tag", "created_at", "week_views", "week_likes")
        )
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


# Sources that fill Explore below the item model's results, in order.
FILL_SOURCES: list[CandidateSource] = [LiveRanking()]
