"""Reads of the similar-photos wing: "more like this" and the owner's near-duplicates.

Every photo returned comes out of ``photos_visible_to``: the index only proposes candidates.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db.models import Q, QuerySet

from photos.models import Photo
from photos.selectors import Viewer, photo_list, photos_visible_to
from photos.similar import ann
from photos.similar.models import PhotoDuplicate, PhotoEmbedding
from photos.similar.vectors import vectors_unpack

# Candidates asked of the index per result wanted; quadrupled while too few of them are visible.
OVERFETCH = 4
# A viewer who sees almost nothing of a large site stops here instead of scanning the whole index.
MAX_CANDIDATES = 20_000


@dataclass(frozen=True)
class SimilarPhoto:
    photo: Photo
    similarity: float  # cosine of the two embeddings, -1..1 (CNN features: in practice 0..1)


def _model_version() -> str:
    # Read from the model code, not the recognition pipeline: the web process never loads TensorFlow.
    from recognition.efficientnet_lite import MODEL_VERSION

    return MODEL_VERSION


def _scores(photos: QuerySet[Photo], query: np.ndarray) -> dict[int, float]:
    """Return the exact cosine similarity to ``query`` of each photo in ``photos`` with an embedding."""
    rows = list(photos.values_list("pk", "embedding__vector"))
    if not rows:
        return {}
    similarities = vectors_unpack([vector for _, vector in rows]) @ query
    return {pk: float(s) for (pk, _), s in zip(rows, similarities, strict=True)}


def photos_similar_to(*, photo: Photo, viewer: Viewer, limit: int) -> list[SimilarPhoto]:
    """Return up to ``limit`` photos ``viewer`` may see that look most like ``photo``, most similar first.

    Never ``photo`` itself. Small sites (no index) scan the visible photos' embeddings exactly; larger
    ones ask the index for candidates, keep the visible ones, and ask for more (x4) until ``limit``
    are found or the index is exhausted: what the viewer may not see is never returned nor counted.
    Photos embedded since the index was built are scanned exactly, so a new photo is found at once.
    """
    version = _model_version()
    vector = PhotoEmbedding.objects.filter(photo=photo, model_version=version).values_list("vector", flat=True)
    vector = vector.first()
    if vector is None or limit < 1:
        return []
    query = vectors_unpack([vector])[0]
    candidates = photos_visible_to(viewer).exclude(pk=photo.pk).filter(embedding__model_version=version)
    index = ann.index_current(settings.SIMILAR_INDEX_DIR)
    if index is None or index.info.model_version != version:
        scores = _scores(candidates, query)
    else:
        recent = Q(embedding__embedded_at__gte=datetime.fromisoformat(index.info.embedded_since))
        scores = _index_scores(index, candidates, query, limit, recent=recent)
    best = sorted(scores.items(), key=lambda item: (-item[1], -item[0]))[:limit]
    photos = photo_list(viewer, candidates.filter(pk__in=[pk for pk, _ in best])).in_bulk()
    return [SimilarPhoto(photo=photos[pk], similarity=round(score, 4)) for pk, score in best if pk in photos]


def _index_scores(
    index: ann.LoadedIndex, candidates: QuerySet[Photo], query: np.ndarray, limit: int, *, recent: Q
) -> dict:
    """Return exact scores of the index's nearest candidates that ``candidates`` holds, at least ``limit`` if any.

    The first round also scores the photos embedded since the build (``recent``), in the same query.
    """
    scores: dict[int, float] = {}
    asked, seen, found = limit * OVERFETCH, set(), 0
    while True:
        keys = index.search(query, asked)
        fresh = [key for key in keys.tolist() if key not in seen]
        seen.update(fresh)
        wanted = Q(pk__in=fresh) | recent if not scores and not found else Q(pk__in=fresh)
        batch = _scores(candidates.filter(wanted), query)
        found += len(seen.intersection(batch))
        scores |= batch
        if found >= limit or len(keys) < asked or asked >= MAX_CANDIDATES:
            return scores
        asked = min(asked * OVERFETCH, MAX_CANDIDATES)


def photo_duplicate_of(*, photo: Photo, viewer: Viewer) -> Photo | None:
    """Return the earlier photo of the owner's that ``photo`` copies, most similar first; only for the owner."""
    if not viewer.is_authenticated or viewer.pk != photo.owner_id:
        return None
    originals = PhotoDuplicate.objects.filter(photo=photo).order_by("-similarity").values_list("original_id", flat=True)
    original_id = originals.first()
    if original_id is None:
        return None
    return photos_visible_to(viewer).filter(pk=original_id).first()
