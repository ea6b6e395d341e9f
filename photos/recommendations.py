"""Explore at request time: photos a person has not seen, ranked, each with the reasons it is there.

Candidates come from the precomputed item model (``photos.item_model``): the neighbours of the
photos in the person's recent history and the popularity pools of the site and of their favourite
tags. Each candidate is scored three ways and the scores are blended:

- co-view: people who viewed the person's recent photos also viewed it (item-to-item);
- content: its CNN tags and categories match those of the recent history, recent photos weighing more;
- popularity: many people viewed it lately, which is all there is to go on for someone new.

Every candidate passes through ``photos_visible_to``; the person's own photos and photos they
viewed, liked or commented on are left out, and no owner fills the grid. A result's reasons are
written from the very evidence that scored it. The number of queries is fixed whatever the page size.
"""

import base64
import binascii
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Left

from photos.history import HISTORY_SIZE, Seen, TasteProfile, recent_history, taste_profile
from photos.models import Comment, Like, Photo, PhotoNeighbor, PhotoTag, PhotoView, PopularPhoto
from photos.selectors import Viewer, photo_list, photos_visible_to


@dataclass(frozen=True)
class Weights:
    """How much each signal counts in the blend, each signal first scaled to 0..1 over the candidates."""

    co_view: float = 1.0
    content: float = 0.6
    popularity: float = 0.15


BLEND = Weights()
POPULARITY_ONLY = Weights(co_view=0.0, content=0.0, popularity=1.0)
PAGE_SIZE = 24
MAX_RESULTS = 120
MAX_PER_OWNER = 2
POOL_TAGS = 5
CATEGORY_FACTOR = 0.5
# A signal is given as a reason when it brought at least this share of the score (the top one always is).
REASON_SHARE = 0.2
EXCERPT = 60


@dataclass(frozen=True)
class Reason:
    kind: str  # "co_view", "tag", "category" or "popular"
    text: str
    photo_id: int | None = None
    tag: str | None = None
    count: int | None = None


@dataclass
class Recommendation:
    photo: Photo
    score: float
    reasons: list[Reason]


@dataclass(frozen=True)
class Cursor:
    """Where a page ends in the ranking: the last result's score and photo id."""

    score: float
    photo_id: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{self.score!r}:{self.photo_id}".encode()).decode()

    @classmethod
    def decode(cls, value: str) -> "Cursor":
        """Return the cursor ``value`` stands for; raise ValueError when it is not one."""
        try:
            score, photo_id = base64.urlsafe_b64decode(value.encode()).decode().split(":")
            return cls(float(score), int(photo_id))
        except (binascii.Error, UnicodeError, ValueError) as error:
            raise ValueError("This is not a cursor from a `next` link.") from error


@dataclass(frozen=True)
class RecommendationPage:
    items: list[Recommendation]
    next_cursor: Cursor | None


@dataclass
class _Candidate:
    photo_id: int
    owner_id: int
    popularity: float = 0.0
    week_views: int = 0
    content: float = 0.0
    term: tuple[float, str, int | str] | None = None  # (contribution, "tag" or "category", tag id or name)
    co_view: float = 0.0
    anchor: tuple[float, int, int] | None = None  # (contribution, anchor photo id, people in common)
    score: float = 0.0
    parts: dict[str, float] = field(default_factory=dict)


def _seen_flags(viewer: Viewer) -> dict:
    """Return annotations telling whether ``viewer`` viewed, liked or commented on a photo."""
    if not viewer.is_authenticated:
        return {"viewed": Value(False), "liked_it": Value(False), "commented": Value(False)}
    return {
        "viewed": Exists(PhotoView.objects.filter(user=viewer, photo=OuterRef("pk"))),
        "liked_it": Exists(Like.objects.filter(user=viewer, photo=OuterRef("pk"))),
        "commented": Exists(Comment.objects.filter(author=viewer, photo=OuterRef("pk"))),
    }


def _candidates(viewer: Viewer, profile: TasteProfile, weights: Weights) -> tuple[dict[int, _Candidate], dict]:
    """Gather and score the candidates; return them and the visible anchors' labels (owner, excerpt)."""
    history = profile.history
    neighbours = []
    if history and weights.co_view:
        neighbours = list(
            PhotoNeighbor.objects.filter(photo_id__in=list(history)).values_list(
                "photo_id", "neighbor_id", "score", "people"
            )
        )
    pool_tags = profile.top_tag_ids(POOL_TAGS) if weights.content else []
    pools = PopularPhoto.objects.filter(Q(tag__isnull=True) | Q(tag_id__in=pool_tags)).values_list(
        "photo_id", "tag_id", "score", "week_views"
    )
    popularity: dict[int, tuple[float, int]] = {}
    pool_totals: dict[int | None, float] = {}
    for photo_id, tag_id, score, week_views in pools:
        popularity[photo_id] = (score, week_views)
        pool_totals[tag_id] = pool_totals.get(tag_id, 0.0) + score
    ids = {row[1] for row in neighbours} | set(popularity) | set(history)
    rows = (
        photos_visible_to(viewer)
        .filter(pk__in=ids)
        .annotate(excerpt=Left("caption", EXCERPT + 1), **_seen_flags(viewer))
        .values_list("pk", "owner_id", "owner__username", "excerpt", "viewed", "liked_it", "commented")
    )
    anchors, candidates = {}, {}
    for pk, owner_id, username, excerpt, *seen in rows:
        if pk in history:
            anchors[pk] = (username, excerpt)
        elif not any(seen) and owner_id != viewer.pk:
            candidates[pk] = _Candidate(pk, owner_id, *popularity.get(pk, (0.0, 0)))
    _score_co_view(candidates, neighbours, history, anchors)
    if profile.tags and weights.content:
        _score_content(candidates, profile, pool_totals)
    return candidates, anchors


def _score_co_view(candidates: dict, neighbours: list, history: dict[int, Seen], anchors: dict) -> None:
    for anchor, neighbour, score, people in neighbours:
        candidate = candidates.get(neighbour)
        # An anchor the viewer may no longer see (made private since) is neither used nor named.
        if candidate is None or anchor not in anchors:
            continue
        contribution = history[anchor].weight * score
        candidate.co_view += contribution
        if candidate.anchor is None or contribution > candidate.anchor[0]:
            candidate.anchor = (contribution, anchor, people)


def _score_content(candidates: dict[int, _Candidate], profile: TasteProfile, pool_totals: dict) -> None:
    """Score how likely the person picks each candidate for its content.

    That is how much of their history has the candidate's tag (or category), times how much of
    the attention that tag gets goes to this photo: its popularity over the tag pool's. A match
    alone cannot rank: hundreds of photos share a tag, and the well-liked ones are picked more.
    """
    rows = PhotoTag.objects.filter(photo_id__in=list(candidates)).values_list(
        "photo_id", "tag_id", "tag__categories", "confidence"
    )
    tags: dict[int, dict[int, float]] = {}
    categories: dict[int, set[str]] = {}
    for photo_id, tag_id, tag_categories, confidence in rows:
        photo_tags = tags.setdefault(photo_id, {})
        photo_tags[tag_id] = max(photo_tags.get(tag_id, 0.0), confidence)
        categories.setdefault(photo_id, set()).update(tag_categories or [])
    site_total = pool_totals.get(None) or 1.0
    for photo_id, photo_tags in tags.items():
        candidate = candidates[photo_id]
        terms = [
            (
                profile.tags[tag_id].weight
                / profile.total
                * confidence
                * candidate.popularity
                # A tag whose pool was not read (not among the favourites) is shared as if site-wide.
                / (pool_totals.get(tag_id) or site_total),
                "tag",
                tag_id,
            )
            for tag_id, confidence in photo_tags.items()
            if tag_id in profile.tags
        ]
        terms += [
            (
                CATEGORY_FACTOR * profile.categories[name].weight / profile.total * candidate.popularity / site_total,
                "category",
                name,
            )
            for name in categories[photo_id]
            if name in profile.categories
        ]
        if terms and max(term[0] for term in terms) > 0:
            candidate.content = sum(term[0] for term in terms)
            candidate.term = max(terms, key=lambda term: term[0])


def _blend(candidates: list[_Candidate], weights: Weights) -> None:
    signals = {"co_view": weights.co_view, "content": weights.content, "popularity": weights.popularity}
    for name, weight in signals.items():
        top = max((getattr(candidate, name) for candidate in candidates), default=0.0)
        for candidate in candidates:
            part = weight * getattr(candidate, name) / top if top > 0 and weight else 0.0
            if part > 0:
                candidate.parts[name] = part
    for candidate in candidates:
        candidate.score = sum(candidate.parts.values())


def _reasons(candidate: _Candidate, profile: TasteProfile, anchors: dict) -> list[Reason]:
    reasons = []
    parts = sorted(candidate.parts.items(), key=lambda item: -item[1])
    for rank, (name, part) in enumerate(parts):
        if rank and part < REASON_SHARE * candidate.score:
            break
        if name == "co_view":
            _, anchor, people = candidate.anchor
            username, excerpt = anchors[anchor]
            label = f"a photo by @{username}"
            if excerpt.strip():
                label = f"“{excerpt.strip()[:EXCERPT]}{'…' if len(excerpt) > EXCERPT else ''}”"
            text = f"People who viewed {label} also viewed this"
            reasons.append(Reason("co_view", text, photo_id=anchor, count=people))
        elif name == "content":
            _, kind, key = candidate.term
            interest = profile.tags[key] if kind == "tag" else profile.categories[key]
            count, verb = len(interest.photo_ids), profile.verb(interest.photo_ids)
            if kind == "tag":
                text = f"Because you {verb} {count} photo{'s' if count != 1 else ''} tagged {interest.name}"
                reasons.append(Reason("tag", text, tag=interest.name, count=count))
            else:
                text = f"Because you {verb} {count} {interest.name} photo{'s' if count != 1 else ''}"
                reasons.append(Reason("category", text, count=count))
        elif candidate.week_views:
            reasons.append(Reason("popular", "Popular this week", count=candidate.week_views))
        else:
            reasons.append(Reason("popular", "Popular on socialsite"))
    return reasons


def ranked_for(viewer: Viewer, *, weights: Weights = BLEND) -> list[tuple[int, float, list[Reason]]]:
    """Return (photo id, score, reasons) of everything Explore would show ``viewer``, best first."""
    history = recent_history(viewer, limit=HISTORY_SIZE) if viewer.is_authenticated else {}
    profile = taste_profile(history)
    candidates, anchors = _candidates(viewer, profile, weights)
    _blend(list(candidates.values()), weights)
    ranked, per_owner = [], {}
    for candidate in sorted(candidates.values(), key=lambda c: (-c.score, -c.photo_id)):
        if candidate.score <= 0 or per_owner.get(candidate.owner_id, 0) >= MAX_PER_OWNER:
            continue
        per_owner[candidate.owner_id] = per_owner.get(candidate.owner_id, 0) + 1
        ranked.append((candidate.photo_id, candidate.score, _reasons(candidate, profile, anchors)))
        if len(ranked) == MAX_RESULTS:
            break
    return ranked


def recommendations_for(
    viewer: Viewer, *, after: Cursor | None = None, size: int = PAGE_SIZE, weights: Weights = BLEND
) -> RecommendationPage:
    """Return a page of Explore for ``viewer``: after ``after``, ``size`` photos with score and reasons."""
    ranked = ranked_for(viewer, weights=weights)
    start = 0
    if after is not None:
        key = (after.score, after.photo_id)
        start = next((i for i, (pk, score, _) in enumerate(ranked) if (score, pk) < key), len(ranked))
    window = ranked[start : start + size]
    photos = {}
    if window:
        chosen = photos_visible_to(viewer).filter(pk__in=[pk for pk, _, _ in window])
        photos = {photo.pk: photo for photo in photo_list(viewer, chosen)}
    items = [Recommendation(photos[pk], round(score, 4), reasons) for pk, score, reasons in window if pk in photos]
    more = bool(window) and start + size < len(ranked)
    return RecommendationPage(items, Cursor(window[-1][1], window[-1][0]) if more else None)
