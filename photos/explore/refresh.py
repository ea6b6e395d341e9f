"""Keep Explore's photo neighbours up to date between full rebuilds, within a minute of each interaction.

The ``refresh_item_model`` beat task runs this every EXPLORE_REFRESH_SECONDS (30 s by default).
It finds the photos that got a view, like or comment since the last build or refresh (by id,
through the primary key index), reads the interactions of only the people who interacted with
them, and recomputes those photos' neighbour rows exactly as the full rebuild would: every person
behind a touched photo is read, so its audience, its overlaps and its norm are complete; the
other photos' norms come from the last full build (``model_state``). The cost follows the
activity of the last half minute, not the size of the site.

Between full rebuilds this is close, not equal, to a rebuild: deletions (a cleared history, an
undone like) and the slow decay of old interactions wait for the 30-minute rebuild, and an
untouched photo's list may hold a few more than NEIGHBOURS_PER_PHOTO rows. The privacy threshold
is the rebuild's: a pair is written only with MIN_PEOPLE_IN_COMMON people in common.
When there is no model yet (a new site, an emptied cache) the refresh rebuilds in full.
"""

import logging
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from photos.explore import model_state, similarity
from photos.explore.item_model import (
    MIN_PEOPLE_IN_COMMON,
    NEIGHBOURS_PER_PHOTO,
    audience_matrix,
    interactions_load,
    item_model_rebuild,
)
from photos.models import PhotoNeighbor, PopularPhoto

logger = logging.getLogger(__name__)

# A touched photo's neighbours are computed this deep, so that a pair it no longer ranks in its
# own top NEIGHBOURS_PER_PHOTO can still be kept in the other photo's list.
REVERSE_DEPTH = 5


@dataclass(frozen=True)
class RefreshReport:
    full_rebuild: bool
    touched: int
    people: int
    neighbours: int
    seconds: float


def _touched(since: dict[str, int], until: dict[str, int]) -> tuple[list[int], list[int]]:
    """Return the photos interacted with between the marks, and every person who ever did with them."""
    photos: set[int] = set()
    for kind, (model, person) in model_state.KINDS.items():
        rows = model.objects.filter(pk__gt=since.get(kind, 0), pk__lte=until[kind]).exclude(
            **{person: F("photo__owner")}
        )
        photos.update(rows.values_list("photo_id", flat=True).distinct())
    people: set[int] = set()
    for model, person in model_state.KINDS.values():
        people.update(model.objects.filter(photo_id__in=photos).values_list(person, flat=True).distinct())
    return sorted(photos), sorted(people)


def _norms(photo_ids: np.ndarray, partial: np.ndarray, touched: np.ndarray) -> np.ndarray:
    """Return the site-wide norm of each photo: a touched photo's own, the last build's for the others."""
    norms = partial.copy()
    known = model_state.norms_get()
    if known is not None:
        known_ids, known_norms = known
        at = np.clip(np.searchsorted(known_ids, photo_ids), 0, max(len(known_ids) - 1, 0))
        found = (known_ids[at] == photo_ids) if len(known_ids) else np.zeros(len(photo_ids), dtype=bool)
        found &= ~np.isin(photo_ids, touched)
        norms[found] = np.maximum(known_norms[at[found]], partial[found])
    return norms


def _rows(neighbours: similarity.Neighbours, touched: np.ndarray, listed: set[tuple[int, int]]) -> list[tuple]:
    """Return the rows to write: each touched photo's top neighbours, and the pair from the other side
    where that photo listed it before, or it is in the touched photo's top list."""
    best = similarity.top_k_per_group(neighbours.photo, neighbours.score, NEIGHBOURS_PER_PHOTO)
    top = np.zeros(len(neighbours), dtype=bool)
    top[best] = True
    rows: dict[tuple[int, int], tuple] = {}
    for photo, other, score, people, is_top in zip(
        neighbours.photo.tolist(),
        neighbours.neighbour.tolist(),
        neighbours.score.tolist(),
        neighbours.people.tolist(),
        top.tolist(),
        strict=True,
    ):
        if is_top:
            rows[photo, other] = (photo, other, score, people)
        if other not in touched and (is_top or (other, photo) in listed):
            rows.setdefault((other, photo), (other, photo, score, people))
    return list(rows.values())


def neighbours_refresh(*, since: dict[str, int], until: dict[str, int], now: datetime) -> RefreshReport:
    """Recompute the neighbour rows of the photos interacted with between the marks ``since`` and ``until``."""
    started = time.perf_counter()
    photos, people = _touched(since, until)
    written = 0
    if photos:
        interactions = interactions_load(now=now, people=people)
        matrix, photo_ids = audience_matrix(interactions)
        touched = np.array(photos, dtype=np.int64)
        only = np.flatnonzero(np.isin(photo_ids, touched))
        neighbours = similarity.item_neighbours(
            matrix,
            photo_ids,
            k=NEIGHBOURS_PER_PHOTO * REVERSE_DEPTH,
            min_people=MIN_PEOPLE_IN_COMMON,
            norms=_norms(photo_ids, similarity.column_norms(matrix), touched),
            only=only,
        )
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Waits for a full rebuild's swap (which takes this lock too) rather than mixing with it.
                table = connection.ops.quote_name(PhotoNeighbor._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
            stale = PhotoNeighbor.objects.filter(Q(photo_id__in=photos) | Q(neighbor_id__in=photos))
            listed = set(stale.filter(neighbor_id__in=photos).values_list("photo_id", "neighbor_id"))
            stale.delete()
            rows = _rows(neighbours, set(photos), listed)
            PhotoNeighbor.objects.bulk_create(
                [PhotoNeighbor(photo_id=p, neighbor_id=n, score=s, people=c) for p, n, s, c in rows], batch_size=2000
            )
            written = len(rows)
    return RefreshReport(False, len(photos), len(people), written, round(time.perf_counter() - started, 3))


def item_model_refresh(*, now: datetime | None = None) -> RefreshReport:
    """Bring the item model up to date: in full when there is none, else for the photos touched since."""
    now = now or timezone.now()
    since = model_state.watermark_get()
    if since is None or not PopularPhoto.objects.exists():
        report = item_model_rebuild(now=now)
        return RefreshReport(True, report.photos, report.people, report.neighbours, report.seconds)
    until = model_state.latest_ids()
    if until == since:
        return RefreshReport(False, 0, 0, 0, 0.0)
    report = neighbours_refresh(since=since, until=until, now=now)
    model_state.watermark_set(until)
    if report.touched:
        logger.info("Item model refreshed: %s", report)
    return report
