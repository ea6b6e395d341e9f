"""Explore at request time: photos a person has not seen, ranked, each with the reasons it is there.

Candidates come from the precomputed item model (``photos.explore.item_model``): the neighbours of the
photos in the person's recent history and the popularity pools of the site and of their favourite
tags and categories. Each candidate is scored three ways (``photos.explore.scoring``) and the
scores are blended:

- co-view: people who viewed the person's recent photos also viewed it (item-to-item);
- content: its CNN tags and categories match those of the recent history, recent photos weighing more;
- popularity: many people viewed it lately, which is all there is to go on for someone new.

When the model has fewer than MAX_RESULTS photos for the person (no model yet, a new person),
``photos.explore.sources`` fills the rest from a live ranking, so Explore is never empty while a
photo is visible. The first page is varied: at most MAX_PER_OWNER photos of an owner, and
``diversity.MAX_PER_TAG`` of a tag.

Every candidate passes through ``photos_visible_to``; the person's own photos and photos they
viewed, liked or commented on are left out, and no owner fills the grid. A result's reasons are
written from the very evidence that scored it. The number of queries is fixed whatever the page size.

A person's ranking is kept in the cache for ``settings.EXPLORE_RANKING_SECONDS`` (scoring it is most
of an Explore request), so that the grid and its next pages hold still while they browse; it is
scored again sooner when they clear their history or the item model takes in new interactions (a
new generation, ``model_state``: every refresh that finds some). A kept ranking may be a little
old, so the photos a page takes from it are checked again in the same request: a photo the person
may no longer see, or has seen, liked or commented on since, is left out, and a reason naming a
photo they may no longer see is dropped.
"""

import math
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet, Value, prefetch_related_objects
from django.db.models.functions import Left

from photos.cursors import cursor_decode, cursor_encode, row_id
from photos.explore import model_state
from photos.explore.compiled import CompiledQuery, ids_filter
from photos.explore.diversity import first_page_varied
from photos.explore.history import HISTORY_SIZE, TasteProfile, recent_history, taste_profile
from photos.explore.scoring import SIGNALS, Scores, Weights, candidates_score, evidence_read
from photos.explore.sources import FILL_SOURCES, Reason, people_count, popularity_reason, surest_tag
from photos.limits import PAGE_SIZE
from photos.models import Comment, Like, Photo, PhotoView
from photos.selectors import LIST_TAGS, Viewer, photo_list, photos_visible_to
from photos.tag_rows import tag_rows_load

BLEND = Weights()
POPULARITY_ONLY = Weights(co_view=0.0, content=0.0, popularity=1.0)
MAX_RESULTS = 96
MAX_PER_OWNER = 2
# Visibility is checked for the best candidates only: enough for MAX_RESULTS once the hidden and seen go.
SHORTLIST = 3 * MAX_RESULTS // 2
# A signal is given as a reason when it brought at least this share of the score (the top one always is).
REASON_SHARE = 0.2
EXCERPT = 60
# A filled-in photo scores just below the model's last: the model's evidence comes first.
FILL_BELOW = 0.999
# A page from a kept ranking checks this many photos past its size, for those seen or hidden since.
RECHECK_SPARE = 8

__all__ = ["Reason"]


@dataclass
class ExploreItem:
    photo: Photo
    score: float
    reasons: list[Reason]


@dataclass(frozen=True)
class Cursor:
    """Where a page ends in the ranking: the last result's score and photo id."""

    score: float
    photo_id: int

    def encode(self) -> str:
        return cursor_encode([self.score, self.photo_id])

    @classmethod
    def decode(cls, value: str) -> "Cursor":
        """Return the cursor ``value`` stands for; raise InvalidCursor when it is not one."""
        return cls(*cursor_decode(value, float, row_id))


@dataclass(frozen=True)
class ExplorePage:
    items: list[ExploreItem]
    next_cursor: Cursor | None


def _seen_flags(viewer: Viewer) -> dict:
    """Return annotations telling whether ``viewer`` viewed, liked or commented on a photo."""
    if not viewer.is_authenticated:
        return {"viewed": Value(False), "liked_it": Value(False), "commented": Value(False)}
    return {
        "viewed": Exists(PhotoView.objects.filter(user=viewer, photo=OuterRef("pk"))),
        "liked_it": Exists(Like.objects.filter(user=viewer, photo=OuterRef("pk"))),
        "commented": Exists(Comment.objects.filter(author=viewer, photo=OuterRef("pk"))),
    }


def _visible_rows(viewer: Viewer, photo_ids: list[int]) -> QuerySet:
    return (
        photos_visible_to(viewer)
        .filter(ids_filter("pk", photo_ids))
        .order_by()
        .annotate(excerpt=Left("caption", EXCERPT + 1), tag=surest_tag(), **_seen_flags(viewer))
        .values_list("pk", "owner_id", "owner__username", "excerpt", "tag", "viewed", "liked_it", "commented")
    )


_VISIBLE = CompiledQuery(_visible_rows)


def _chosen_rows(viewer: Viewer, photo_ids: list[int]) -> QuerySet[Photo]:
    # The search index columns are for the database (the search_weights JSON alone is parsed per row).
    photos = Photo.objects.filter(ids_filter("pk", photo_ids)).defer("search_document", "search_weights")
    return photo_list(viewer, photos, tags=False)


_CHOSEN = CompiledQuery(_chosen_rows)


def _checked_rows(viewer: Viewer, photo_ids: list[int]) -> QuerySet[Photo]:
    # A kept ranking's photos with what their cards show, those the viewer may see only, with the seen flags.
    photos = photos_visible_to(viewer).filter(ids_filter("pk", photo_ids)).defer("search_document", "search_weights")
    flags = _seen_flags(viewer)
    return photo_list(viewer, photos, tags=False).annotate(viewed=flags["viewed"], commented=flags["commented"])


_CHECKED = CompiledQuery(_checked_rows)


def _visible(viewer: Viewer, photo_ids: list[int]) -> dict[int, tuple[int, str, str, bool, int | None]]:
    """Return (owner id, owner username, caption excerpt, seen, surest tag) of those photos ``viewer`` may see."""
    rows = _VISIBLE.rows(viewer, photo_ids)
    return {pk: (owner_id, username, excerpt, any(seen), tag) for pk, owner_id, username, excerpt, tag, *seen in rows}


def _anchor_label(username: str, excerpt: str) -> str:
    excerpt = excerpt.strip()
    if not excerpt:
        return f"a photo by @{username}"
    return f"“{excerpt[:EXCERPT]}{'…' if len(excerpt) > EXCERPT else ''}”"


def _reasons(scores: Scores, at: int, profile: TasteProfile, pools: list, anchors: dict) -> list[Reason]:
    """Return the reasons for candidate ``at``, from the evidence that scored it, strongest first."""
    reasons = []
    parts = sorted(
        ((scores.parts[at, i], name) for i, name in enumerate(SIGNALS) if scores.parts[at, i] > 0), reverse=True
    )
    for rank, (part, name) in enumerate(parts):
        if rank and part < REASON_SHARE * scores.score[at]:
            break
        if name == "co_view":
            anchor = int(scores.anchor[at])
            text = f"People who viewed {_anchor_label(*anchors[anchor])} also viewed this"
            reasons.append(Reason("co_view", text, photo_id=anchor, count=people_count(int(scores.people[at]))))
        elif name == "content":
            kind, key = pools[scores.pool[at]]
            taste = profile.tags[key] if kind == "tag" else profile.categories[key]
            count, verb = len(taste.photo_ids), profile.verb(taste.photo_ids)
            plural = "s" if count != 1 else ""
            if kind == "tag":
                text = f"Because you {verb} {count} photo{plural} tagged {taste.name}"
                reasons.append(Reason("tag", text, tag=taste.name, count=count))
            else:
                reasons.append(
                    Reason("category", f"Because you {verb} {count} {taste.name} photo{plural}", count=count)
                )
        else:
            # Fewer than POPULAR_FROM views this week is not called popular.
            reasons.append(popularity_reason(int(scores.week_views[at])))
    return reasons


def ranked_for(viewer: Viewer, *, weights: Weights = BLEND) -> list[tuple[int, float, list[Reason]]]:
    """Return (photo id, score, reasons) of everything Explore would show ``viewer``, best first.

    The item model's picks come first; when it has fewer than MAX_RESULTS (no model yet, or
    nothing for this person) the FILL_SOURCES fill the rest, so that Explore is never empty
    while a photo is visible. The first page holds at most MAX_PER_TAG photos of a tag.
    """
    history = recent_history(viewer, limit=HISTORY_SIZE) if viewer.is_authenticated else {}
    profile = taste_profile(history)
    evidence = evidence_read(profile, co_view=bool(weights.co_view), content=bool(weights.content))
    candidates = evidence.candidate_ids(list(history))
    scores = candidates_score(evidence, profile, candidates, list(history), weights)
    best = np.lexsort((-scores.photo, -scores.score))[:SHORTLIST]
    best = best[scores.score[best] > 0]
    visible = _visible(viewer, scores.photo[best].tolist() + list(history))
    anchors = {pk: (username, excerpt) for pk, (_, username, excerpt, _, _) in visible.items() if pk in history}
    offered = {
        pk: (owner_id, tag)
        for pk, (owner_id, _, _, seen, tag) in visible.items()
        if pk not in history and not seen and owner_id != viewer.pk
    }
    if len(anchors) < len(history):
        # An anchor the viewer may no longer see (made private since) is neither used nor named.
        scores = candidates_score(evidence, profile, candidates, list(anchors), weights)
    scores = scores.subset(np.searchsorted(scores.photo, np.array(sorted(offered), dtype=np.int64)))
    ranked, per_owner = [], {}
    for at in np.lexsort((-scores.photo, -scores.score)).tolist():
        photo_id = int(scores.photo[at])
        owner_id, tag = offered[photo_id]
        if scores.score[at] <= 0 or per_owner.get(owner_id, 0) >= MAX_PER_OWNER:
            continue
        per_owner[owner_id] = per_owner.get(owner_id, 0) + 1
        ranked.append((photo_id, float(scores.score[at]), _reasons(scores, at, profile, evidence.pools, anchors), tag))
        if len(ranked) == MAX_RESULTS:
            break
    _fill(viewer, ranked, per_owner, list(history))
    ranked = first_page_varied(ranked, lambda entry: entry[3], page=PAGE_SIZE)
    # A photo moved after the first page shows no higher a score than the one before it.
    result, ceiling = [], math.inf
    for photo_id, score, reasons, _ in ranked:
        ceiling = min(ceiling, score)
        result.append((photo_id, ceiling, reasons))
    return result


def _fill(viewer: Viewer, ranked: list, per_owner: dict[int, int], history: list[int]) -> None:
    """Append the FILL_SOURCES' candidates to ``ranked`` up to MAX_RESULTS, below the model's last score."""
    for source in FILL_SOURCES:
        if len(ranked) >= MAX_RESULTS:
            return
        floor = (ranked[-1][1] if ranked else 1.0) * FILL_BELOW
        taken = {photo_id for photo_id, *_ in ranked}
        for candidate in source.candidates(viewer, history=history, limit=SHORTLIST):
            if candidate.photo_id in taken or per_owner.get(candidate.owner_id, 0) >= MAX_PER_OWNER:
                continue
            per_owner[candidate.owner_id] = per_owner.get(candidate.owner_id, 0) + 1
            ranked.append((candidate.photo_id, floor * candidate.score, [candidate.reason], candidate.tag_id))
            if len(ranked) == MAX_RESULTS:
                return


def ranking_cache_key(viewer_id: int | None, weights: Weights = BLEND) -> str:
    """Return the cache key of the ranking of ``viewer_id`` (None: visitors, who all get the same one)."""
    who = "visitor" if viewer_id is None else viewer_id
    return f"explore:ranking:v1:{who}:{weights.co_view:g}:{weights.content:g}:{weights.popularity:g}"


def _ranking(viewer: Viewer, weights: Weights) -> tuple[list[tuple[int, float, list[Reason]]], bool]:
    """Return ``viewer``'s ranking and whether it was scored in this request (False: kept from an earlier one)."""
    key = ranking_cache_key(viewer.pk if viewer.is_authenticated else None, weights)
    found = cache.get_many([key, model_state.GENERATION_KEY])  # one round trip
    generation = found.get(model_state.GENERATION_KEY, 0)
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        return kept[1], False
    ranked = ranked_for(viewer, weights=weights)
    cache.set(key, (generation, ranked), timeout=settings.EXPLORE_RANKING_SECONDS)
    return ranked, True


def _still_shown(viewer: Viewer, ranked: list, start: int, size: int) -> tuple[list, dict[int, Photo], int]:
    """Return up to ``size`` entries of a kept ranking from ``start`` that ``viewer`` may still be shown, their
    photos, and where the next page would start.

    An entry goes when its photo is no longer visible to ``viewer`` or has been seen, liked or commented on
    since the ranking was kept; a reason goes when the photo it names is no longer visible, and the entry
    with it when it has no reason left. One query (the page's photos, checked) per RECHECK_SPARE photos
    past the first ``size``.
    """
    window, photos, at = [], {}, start
    while len(window) < size and at < len(ranked):
        batch = ranked[at : at + size - len(window) + RECHECK_SPARE]
        named = {reason.photo_id for _, _, reasons in batch for reason in reasons if reason.photo_id}
        visible = {photo.pk: photo for photo in _CHECKED.instances(viewer, [pk for pk, _, _ in batch] + sorted(named))}
        for pk, score, reasons in batch:
            at += 1
            photo = visible.get(pk)
            if photo is None or photo.viewed or photo.liked or photo.commented or photo.owner_id == viewer.pk:
                continue
            reasons = [reason for reason in reasons if reason.photo_id is None or reason.photo_id in visible]
            if reasons:
                window.append((pk, score, reasons))
                photos[pk] = photo
                if len(window) == size:
                    break
    return window, photos, at


def explore_for(
    viewer: Viewer,
    *,
    after: Cursor | None = None,
    size: int = PAGE_SIZE,
    weights: Weights = BLEND,
    tag_rows: bool = False,
) -> ExplorePage:
    """Return a page of Explore for ``viewer``: after ``after``, ``size`` photos with score and reasons.

    ``tag_rows``: the photos' tags as photos.tag_rows' rows (for the API) rather than ``photo_tags``.
    """
    ranked, fresh = _ranking(viewer, weights)
    start = 0
    if after is not None:
        # The ranking is not sorted by score alone (the first page is varied): start after the
        # cursor's photo, or when it has left the ranking since, at the first scoring below it.
        position = next((i for i, (pk, _, _) in enumerate(ranked) if pk == after.photo_id), None)
        key = (after.score, after.photo_id)
        if position is not None:
            start = position + 1
        else:
            start = next((i for i, (pk, score, _) in enumerate(ranked) if (score, pk) < key), len(ranked))
    if fresh:
        # Every id in ``ranked`` came through photos_visible_to in this request.
        window = ranked[start : start + size]
        end = start + len(window)
        photos = {photo.pk: photo for photo in _CHOSEN.instances(viewer, [pk for pk, _, _ in window])} if window else {}
    else:
        window, photos, end = _still_shown(viewer, ranked, start, size)
    if photos:
        if tag_rows:
            tag_rows_load(photos.values(), viewer)
        else:
            prefetch_related_objects(list(photos.values()), LIST_TAGS)
    items = [ExploreItem(photos[pk], round(score, 4), reasons) for pk, score, reasons in window if pk in photos]
    more = bool(window) and end < len(ranked)
    return ExplorePage(items, Cursor(window[-1][1], window[-1][0]) if more else None)
