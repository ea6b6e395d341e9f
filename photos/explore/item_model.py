"""Build Explore's item model offline: photo neighbours and popularity pools, stored in tables.

Run by the ``rebuild_item_model`` beat task. Reads the last year of views, likes and comments
as arrays, lets ``photos.explore.similarity`` do the arithmetic, and swaps the tables' contents in one
transaction, so that Explore reads the old model until the new one is committed.

Owners' views, likes and comments of their own photos are left out: they say nothing about
taste, and would let an owner pump their photos' popularity and count themselves among the
people in common behind a pair.
A neighbour pair is kept only when MIN_PEOPLE_IN_COMMON people interacted with both photos:
the model is built without knowing who will ask, and the asker may be one of them, so that
leaves MIN_OTHER_PEOPLE people besides the asker behind every "people who viewed" reason.
"""

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import connection, models, transaction
from django.db.models import F, FloatField, Func, QuerySet
from django.utils import timezone

from photos.explore import model_state, similarity
from photos.models import Comment, Like, PhotoNeighbor, PhotoTag, PhotoView, PopularPhoto

logger = logging.getLogger(__name__)

# How much one interaction says about taste: commenting takes more than liking, liking more than looking.
SIGNAL_WEIGHTS = {"view": 1.0, "like": 3.0, "comment": 4.0}
WINDOW = timedelta(days=365)
HALF_LIFE_DAYS = 60.0
POPULARITY_HALF_LIFE_DAYS = 7.0
WEEK_DAYS = 7.0
MAX_PER_PERSON = 500
# A photo's nearest photos kept; Explore reads the photos that list a history photo among theirs.
NEIGHBOURS_PER_PHOTO = 50
# A photo is kept in the lists of its this many closest photos only: Explore reads the rows that
# list a history photo, and a photo everybody saw would be listed by tens of thousands.
LISTED_AT_MOST = 200
# People besides the person asking who must have interacted with both photos of a co-view.
MIN_OTHER_PEOPLE = 3
MIN_PEOPLE_IN_COMMON = MIN_OTHER_PEOPLE + 1
SITE_POOL_SIZE = 200
TAG_POOL_SIZE = 40
WRITE_CHUNK = 50_000
ROW = np.dtype([("user", np.int64), ("photo", np.int64), ("epoch", np.float64)])
PAIR = np.dtype([("photo", np.int64), ("tag", np.int64)])
NO_TAG = -1  # the tag of site and category pools in arrays; NULL in the table


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime column as a float (read into numpy without datetime objects)."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = "((julianday(%(expressions)s) - 2440587.5) * 86400.0)"
        return self.as_sql(compiler, connection, template=template, **extra)


@dataclass(frozen=True)
class Interactions:
    """Who interacted with which photo, how strongly, and how many days ago, as parallel arrays."""

    users: np.ndarray
    photos: np.ndarray
    weights: np.ndarray
    ages_days: np.ndarray
    is_view: np.ndarray


@dataclass(frozen=True)
class Pools:
    """Popularity pools as parallel arrays: a tag's pool, a category's (``tag`` NO_TAG), or the site's (both empty)."""

    photo: np.ndarray
    tag: np.ndarray
    category: np.ndarray
    score: np.ndarray
    week_views: np.ndarray


@dataclass(frozen=True)
class ItemModelReport:
    interactions: int
    people: int
    photos: int
    neighbours: int
    popular: int
    seconds: float


def _rows(queryset: QuerySet, user_field: str, time_field: str) -> np.ndarray:
    rows = queryset.values_list(user_field, "photo_id", EpochSeconds(time_field))
    return np.fromiter(rows.iterator(chunk_size=20_000), dtype=ROW)


def interactions_load(*, now: datetime, people: list[int] | None = None) -> Interactions:
    """Return the views, likes and comments of the model window before ``now``, but owners' of their own photos.

    ``people`` limits them to those people's (the incremental refresh).
    """
    since = now - WINDOW
    views = PhotoView.objects.filter(viewed_at__gte=since, viewed_at__lte=now).exclude(user=F("photo__owner"))
    likes = Like.objects.filter(created_at__gte=since, created_at__lte=now).exclude(user=F("photo__owner"))
    comments = Comment.objects.filter(created_at__gte=since, created_at__lte=now).exclude(author=F("photo__owner"))
    if people is not None:
        views, likes, comments = (
            views.filter(user__in=people),
            likes.filter(user__in=people),
            comments.filter(author__in=people),
        )
    parts = {
        "view": _rows(views, "user_id", "viewed_at"),
        "like": _rows(likes, "user_id", "created_at"),
        "comment": _rows(comments, "author_id", "created_at"),
    }
    rows = np.concatenate(list(parts.values()))
    return Interactions(
        users=rows["user"],
        photos=rows["photo"],
        weights=np.concatenate([np.full(len(part), SIGNAL_WEIGHTS[kind]) for kind, part in parts.items()]),
        ages_days=(now.timestamp() - rows["epoch"]) / 86400.0,
        is_view=np.concatenate([np.full(len(part), kind == "view") for kind, part in parts.items()]),
    )


def audience_matrix(interactions: Interactions):
    """Return the people x photos matrix of time-decayed weights (each person's latest only) and its photo ids."""
    keep = similarity.most_recent_per_user(interactions.users, interactions.ages_days, MAX_PER_PERSON)
    values = interactions.weights[keep] * similarity.decay(interactions.ages_days[keep], HALF_LIFE_DAYS)
    return similarity.interaction_matrix(interactions.users[keep], interactions.photos[keep], values)


def neighbours_build(interactions: Interactions) -> similarity.Neighbours:
    """Return each photo's nearest photos by who interacted with both, recent interactions weighing more.

    The photos' audience norms are kept in the cache for the incremental refresh.
    """
    matrix, photo_ids = audience_matrix(interactions)
    norms = similarity.column_norms(matrix)
    model_state.norms_set(photo_ids, norms)
    neighbours = similarity.item_neighbours(
        matrix, photo_ids, k=NEIGHBOURS_PER_PHOTO, min_people=MIN_PEOPLE_IN_COMMON, norms=norms
    )
    return similarity.listed_at_most(neighbours, LISTED_AT_MOST)


def _pool_members(photo_ids: np.ndarray, scores: np.ndarray, keys: np.ndarray, photos: np.ndarray) -> np.ndarray:
    """Return indices into ``photos``/``keys`` of each key's TAG_POOL_SIZE most popular photos."""
    known = np.isin(photos, photo_ids)
    index = np.flatnonzero(known)
    best = similarity.top_k_per_group(keys[index], scores[np.searchsorted(photo_ids, photos[index])], TAG_POOL_SIZE)
    return index[best]


def pools_build(interactions: Interactions) -> Pools:
    """Return the most popular photos of the site, of each tag and of each category.

    The tag and category pools are where Explore finds photos for a taste, and they tell how
    the attention a tag gets divides among its photos.
    """
    decayed = interactions.weights * similarity.decay(interactions.ages_days, POPULARITY_HALF_LIFE_DAYS)
    photo_ids, scores = similarity.popularity(interactions.photos, decayed)
    this_week = interactions.is_view & (interactions.ages_days <= WEEK_DAYS)
    week_ids, week_views = similarity.popularity(interactions.photos[this_week], np.ones(int(this_week.sum())))
    views = np.zeros(len(photo_ids), dtype=np.int64)
    views[np.searchsorted(photo_ids, week_ids)] = week_views.astype(np.int64)

    site = np.argsort(-scores, kind="stable")[:SITE_POOL_SIZE]
    tagged = np.fromiter(PhotoTag.objects.values_list("photo_id", "tag_id").distinct().iterator(), dtype=PAIR)
    in_tag = _pool_members(photo_ids, scores, tagged["tag"], tagged["photo"])
    pairs = {
        (photo_id, category)
        for photo_id, categories in PhotoTag.objects.values_list("photo_id", "tag__categories").iterator()
        for category in categories or ()
    }
    category_photos = np.fromiter((photo_id for photo_id, _ in pairs), dtype=np.int64, count=len(pairs))
    names, codes = np.unique(np.array([category for _, category in pairs], dtype=object), return_inverse=True)
    in_category = _pool_members(photo_ids, scores, codes.astype(np.int64), category_photos)
    members = np.concatenate([photo_ids[site], tagged["photo"][in_tag], category_photos[in_category]])
    index = np.searchsorted(photo_ids, members)
    return Pools(
        photo=members,
        tag=np.concatenate([np.full(len(site), NO_TAG), tagged["tag"][in_tag], np.full(len(in_category), NO_TAG)]),
        category=np.concatenate(
            [np.full(len(site) + len(in_tag), "", dtype=object), names[codes[in_category]].astype(object)]
        ),
        score=scores[index],
        week_views=views[index],
    )


def _python_rows(columns: dict[str, np.ndarray | list]) -> Iterator[tuple]:
    """Yield the rows of ``columns``, turning arrays into Python values a chunk at a time (a million
    rows as Python objects at once would be the rebuild's largest allocation)."""
    size = len(next(iter(columns.values())))
    for start in range(0, size, WRITE_CHUNK):
        parts = [values[start : start + WRITE_CHUNK] for values in columns.values()]
        yield from zip(*(part.tolist() if isinstance(part, np.ndarray) else part for part in parts), strict=True)


def _replace(model: type[models.Model], columns: dict[str, np.ndarray | list]) -> None:
    """Replace all rows of ``model`` by ``columns`` (attribute name -> values)."""
    names = list(columns)
    rows = _python_rows(columns)
    if connection.vendor != "postgresql":
        model.objects.all().delete()
        model.objects.bulk_create((model(**dict(zip(names, row, strict=True))) for row in rows), batch_size=2000)
        return
    table = connection.ops.quote_name(model._meta.db_table)
    fields = ", ".join(connection.ops.quote_name(name) for name in names)
    with connection.cursor() as cursor:
        # Two rebuilds take turns (readers are never blocked), so neither deletes the other's new rows.
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        model.objects.all().delete()
        # COPY streams a million rows in seconds where INSERTs take minutes.
        with cursor.copy(f"COPY {table} ({fields}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # Every row is new: fresh statistics keep the planner's estimates for Explore's reads right.
        cursor.execute(f"ANALYZE {table}")


def item_model_rebuild(*, now: datetime | None = None) -> ItemModelReport:
    """Rebuild the photo neighbours and popularity pools from the interactions before ``now``."""
    started = time.perf_counter()
    now = now or timezone.now()
    # Taken before reading: what arrives during the build is left to the next refresh.
    marks = model_state.latest_ids()
    interactions = interactions_load(now=now)
    neighbours = neighbours_build(interactions)
    pools = pools_build(interactions)
    with transaction.atomic():
        _replace(
            PhotoNeighbor,
            {
                "photo_id": neighbours.photo,
                "neighbor_id": neighbours.neighbour,
                "score": neighbours.score,
                "people": neighbours.people,
            },
        )
        _replace(
            PopularPhoto,
            {
                "photo_id": pools.photo,
                "tag_id": [None if tag == NO_TAG else tag for tag in pools.tag.tolist()],
                "category": pools.category,
                "score": pools.score,
                "week_views": pools.week_views,
            },
        )
    model_state.watermark_set(marks)
    report = ItemModelReport(
        interactions=len(interactions.users),
        people=len(np.unique(interactions.users)),
        photos=len(np.unique(interactions.photos)),
        neighbours=len(neighbours),
        popular=len(pools.photo),
        seconds=round(time.perf_counter() - started, 3),
    )
    logger.info("Item model rebuilt: %s", report)
    return report
