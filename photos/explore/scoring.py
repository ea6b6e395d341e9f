"""Explore's scoring at request time, as numpy arrays: co-view, content and popularity, and their blend.

``photos.explore.selectors`` reads the person's history, calls ``evidence_read`` (two queries: the
neighbours of their recent photos, and the pools of the site and of their tastes), scores every
candidate with ``candidates_score``, checks visibility for the best, and scores those again
with the anchors they may still see. Arrays keep a request to a few dozen Python objects where
a dict per candidate made thousands, which the garbage collector then had to walk.
"""

from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from photos.explore.compiled import CompiledQuery, ids_parameter
from photos.explore.history import TasteProfile
from photos.explore.item_model import MIN_OTHER_PEOPLE
from photos.explore.similarity import top_k_per_group
from photos.models import PhotoNeighbor, PopularPhoto
from photos.selectors import Viewer

# The favourite tags, and categories, whose pools are read.
POOL_TASTES = 4
CATEGORY_FACTOR = 0.5
NEIGHBOUR = np.dtype([("anchor", np.int64), ("photo", np.int64), ("score", np.float64), ("people", np.int64)])
POOLED = np.dtype([("photo", np.int64), ("pool", np.int64), ("score", np.float64), ("week_views", np.int64)])
SITE = -1  # the pool index of the site-wide pool
SIGNALS = ("co_view", "content", "popularity")
# Similarities are squared before they add up: one very close anchor counts more than several
# loose ones (NDCG@10 on MovieLens-100K 0.364 -> 0.380, bench/recs_eval.py).
CO_VIEW_POWER = 2.0
# The people a neighbour pair must rest on for Explore to use it: MIN_OTHER_PEOPLE besides the asker,
# who is presumed to be one of them. The asker interacted with the anchor (it is in their history),
# and may have been counted on the candidate too: a view cleared or a like undone since the model
# was built leaves no trace a request could tell from never having seen it. Rows of an older model
# built with a lower threshold are held to this too, until the next rebuild replaces them.
MIN_NEIGHBOUR_PEOPLE = MIN_OTHER_PEOPLE + 1


@dataclass(frozen=True)
class Weights:
    """How much each signal counts in the blend, each signal first scaled to 0..1 over the candidates."""

    co_view: float = 1.0
    content: float = 1.0
    popularity: float = 0.15


@dataclass(frozen=True)
class Evidence:
    """What the item model holds for one person: their photos' neighbours, and the pools' members.

    ``pools`` names each pool index: ("tag", tag id) or ("category", name).
    """

    neighbours: np.ndarray
    pooled: np.ndarray
    pools: list[tuple[str, int | str]]

    def candidate_ids(self, exclude: list[int]) -> np.ndarray:
        """Return the sorted ids of every photo the evidence mentions, but ``exclude``."""
        ids = np.union1d(self.neighbours["photo"], self.pooled["photo"])
        return ids[~np.isin(ids, exclude)]


@dataclass(frozen=True)
class Scores:
    """Scores of candidates ``photo`` (sorted ids), with what produced them, aligned by index."""

    photo: np.ndarray
    score: np.ndarray
    parts: np.ndarray  # one column per SIGNALS entry, each signal scaled to 0..1 and weighted
    anchor: np.ndarray  # the history photo whose neighbours gave most of the co-view score, or -1
    people: np.ndarray  # people who interacted with both that anchor and the candidate
    pool: np.ndarray  # the pool index that gave most of the content score, or -1
    popularity: np.ndarray
    week_views: np.ndarray

    def subset(self, index: np.ndarray) -> "Scores":
        """Return the scores of the candidates at ``index`` (sorted), as they were scored with all the others."""
        return Scores(*(getattr(self, name)[index] for name in self.__dataclass_fields__))


def _neighbour_rows(viewer: Viewer, anchors: list[int]) -> QuerySet:
    # The candidates that list a history photo among their nearest, not the history photos' own
    # nearest: each candidate then rests on its closest few, and a photo close to everything
    # cannot ride on every anchor's list (NDCG@10 on MovieLens-100K: 0.355 one way, 0.38 this).
    rows = PhotoNeighbor.objects.filter(neighbor_id__in=ids_parameter(anchors), people__gte=MIN_NEIGHBOUR_PEOPLE)
    return rows.values_list("neighbor_id", "photo_id", "score", "people")


def _pooled_rows(viewer: Viewer, tag_ids: list[int], categories: list[str]) -> QuerySet:
    """The site's pool, and the pools of ``tag_ids`` and ``categories``.

    Three reads joined by UNION ALL (a row is in one pool only), each on its own index: as one
    filter joined by OR PostgreSQL scans the whole table (3.1 ms at 18,720 rows against 0.7 ms).
    """
    fields = ("photo_id", "tag_id", "category", "score", "week_views")
    site = PopularPhoto.objects.filter(tag__isnull=True, category="").values_list(*fields)
    by_tag = PopularPhoto.objects.filter(tag_id__in=ids_parameter(tag_ids)).values_list(*fields)
    by_category = PopularPhoto.objects.filter(category__in=ids_parameter(categories, "text")).values_list(*fields)
    return site.union(by_tag, by_category, all=True)


# The model's reads are the same for everybody (who may see what is checked afterwards).
_NEIGHBOURS = CompiledQuery(_neighbour_rows)
_POOLED = CompiledQuery(_pooled_rows)


def evidence_read(profile: TasteProfile, *, co_view: bool, content: bool) -> Evidence:
    """Read the neighbours of the recent history and the pools of the site and of the person's tastes."""
    neighbours = np.empty(0, dtype=NEIGHBOUR)
    if profile.history and co_view:
        neighbours = np.fromiter(_NEIGHBOURS.rows(AnonymousUser(), list(profile.history)), dtype=NEIGHBOUR)
    tag_ids = profile.top_tag_ids(POOL_TASTES) if content else []
    categories = profile.top_categories(POOL_TASTES) if content else []
    pools: dict[tuple[str, int | str], int] = {}

    def pool_index(tag_id: int | None, category: str) -> int:
        if tag_id is None and not category:
            return SITE
        return pools.setdefault(("tag", tag_id) if tag_id else ("category", category), len(pools))

    rows = _POOLED.rows(AnonymousUser(), tag_ids, categories)
    pooled = np.fromiter(((p, pool_index(t, c), s, w) for p, t, c, s, w in rows), dtype=POOLED)
    return Evidence(neighbours, pooled, list(pools))


def _best(groups: np.ndarray, values: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Return, per group 0..size-1, the index of its largest value (-1 for none) and a mask of groups with one."""
    best = np.full(size, -1)
    rows = top_k_per_group(groups, values, 1)
    rows = rows[values[rows] > 0]
    best[groups[rows]] = rows
    return best, best >= 0


def candidates_score(
    evidence: Evidence, profile: TasteProfile, candidates: np.ndarray, anchors: list[int], weights: Weights
) -> Scores:
    """Score ``candidates`` (sorted ids) on each signal, co-views from ``anchors`` only, and blend."""
    size = len(candidates)
    history_ids = np.array(list(profile.history), dtype=np.int64)
    history_weights = np.array([seen.weight for seen in profile.history.values()])
    order = np.argsort(history_ids)
    history_ids, history_weights = history_ids[order], history_weights[order]

    neighbours = evidence.neighbours
    neighbours = neighbours[np.isin(neighbours["photo"], candidates) & np.isin(neighbours["anchor"], anchors)]
    at = np.searchsorted(candidates, neighbours["photo"])
    contribution = (
        history_weights[np.searchsorted(history_ids, neighbours["anchor"])] * neighbours["score"] ** CO_VIEW_POWER
    )
    co_view = np.bincount(at, weights=contribution, minlength=size)
    best, found = _best(at, contribution, size)
    anchor, people = np.full(size, -1), np.zeros(size, dtype=np.int64)
    anchor[found], people[found] = neighbours["anchor"][best[found]], neighbours["people"][best[found]]

    pooled = evidence.pooled[np.isin(evidence.pooled["photo"], candidates)]
    at = np.searchsorted(candidates, pooled["photo"])
    popularity, week_views = np.zeros(size), np.zeros(size, dtype=np.int64)
    popularity[at], week_views[at] = pooled["score"], pooled["week_views"]
    # Content: how much of the recent history has the pool's tag (or category), times the share of
    # that pool's attention this photo gets. A match alone cannot rank: hundreds of photos share a
    # tag, and the well-liked ones are picked more.
    taste = np.array([_taste_share(profile, kind, key) for kind, key in evidence.pools] + [0.0])
    keyed = pooled["pool"] >= 0
    totals = np.bincount(pooled["pool"][keyed], weights=pooled["score"][keyed], minlength=len(evidence.pools))
    terms = np.where(keyed, taste[pooled["pool"]] * pooled["score"] / np.append(totals, 1.0)[pooled["pool"]], 0.0)
    content = np.bincount(at, weights=terms, minlength=size)
    best, found = _best(at, terms, size)
    pool = np.full(size, -1)
    pool[found] = pooled["pool"][best[found]]

    signals = np.column_stack([co_view, content, popularity]) if size else np.zeros((0, 3))
    tops = signals.max(axis=0, initial=0.0)
    scale = np.array([getattr(weights, name) for name in SIGNALS]) / np.where(tops > 0, tops, 1.0)
    parts = signals * scale
    return Scores(candidates, parts.sum(axis=1), parts, anchor, people, pool, popularity, week_views)


def _taste_share(profile: TasteProfile, kind: str, key: int | str) -> float:
    taste = profile.tags.get(key) if kind == "tag" else profile.categories.get(key)
    if taste is None:
        return 0.0
    return (1.0 if kind == "tag" else CATEGORY_FACTOR) * taste.weight / profile.total
