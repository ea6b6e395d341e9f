"""Reads of the similar-photos wing: "more like this" and the owner's near-duplicates.

Every photo returned comes out of ``photos_visible_to``: the index only proposes candidates.
"""

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from django.conf import settings
from django.db.models import BinaryField, Case, F, Q, QuerySet, Value, When

from photos.models import Photo
from photos.selectors import Viewer, photo_list, photos_visible_to
from photos.similar import ann
from photos.similar.models import PhotoDuplicate, PhotoEmbedding
from photos.similar.vectors import SIMILAR_MIN_SIMILARITY, vectors_unpack

# Candidates asked of the index per result wanted (at least MIN_ASK); x4 again while too few are visible.
OVERFETCH = 4
MIN_ASK = 64
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


def _query_vector(photo: Photo, version: str, index: ann.LoadedIndex | None) -> np.ndarray | None:
    """Return ``photo``'s unit embedding: from the build's mapped vectors when it holds it, else the database."""
    if index is not None:
        held, matrix = index.vectors_of(np.array([photo.pk]))
        if held[0]:
            return matrix[0]
    vector = PhotoEmbedding.objects.filter(photo=photo, model_version=version).values_list("vector", flat=True)
    vector = vector.first()
    return None if vector is None else vectors_unpack([vector])[0]


def photos_similar_to(
    *, photo: Photo, viewer: Viewer, limit: int, min_similarity: float = SIMILAR_MIN_SIMILARITY
) -> list[SimilarPhoto]:
    """Return up to ``limit`` photos ``viewer`` may see that look like ``photo``, most similar first.

    Only photos at least ``min_similarity`` alike (cosine), and never ``photo`` itself. Small sites (no
    index) scan the visible photos' embeddings exactly; larger ones ask the index for candidates,
    score them exactly from the build's mapped vectors, keep the visible ones (one query over their
    ids through ``photos_visible_to``) and ask for more (x4) until ``limit`` are found, the candidates
    fall below ``min_similarity`` or the index is exhausted: what the viewer may not see is never
    returned nor counted. Photos embedded since the build are read from the database in that same
    query and scored exactly, so a new photo is found at once.
    """
    if limit < 1:
        return []
    version = _model_version()
    index = ann.index_current(settings.SIMILAR_INDEX_DIR)
    if index is not None and index.info.model_version != version:
        index = None
    query = _query_vector(photo, version, index)
    if query is None:
        return []
    candidates = photos_visible_to(viewer).exclude(pk=photo.pk).filter(embedding__model_version=version)
    if index is None:
        scores = _scores(candidates, query)
    else:
        since = datetime.fromisoformat(index.info.embedded_since)
        scores = _index_scores(index, candidates, query, limit, since=since, min_similarity=min_similarity)
    kept = [(pk, score) for pk, score in scores.items() if score >= min_similarity]
    best = sorted(kept, key=lambda item: (-item[1], -item[0]))[:limit]
    if not best:
        return []
    photos = photo_list(viewer, candidates.filter(pk__in=[pk for pk, _ in best])).in_bulk()
    return [SimilarPhoto(photo=photos[pk], similarity=round(score, 4)) for pk, score in best if pk in photos]


def _index_scores(
    index: ann.LoadedIndex,
    candidates: QuerySet[Photo],
    query: np.ndarray,
    limit: int,
    *,
    since: datetime,
    min_similarity: float,
) -> dict[int, float]:
    """Return exact scores of the index's nearest candidates that ``candidates`` holds, at least ``limit`` if any.

    The first round also reads the photos embedded since the build (their vectors from the database:
    the build's file may not hold them, or hold an older vector), in the same query.
    """
    recent = Q(embedding__embedded_at__gte=since)
    vector_if_recent = Case(When(recent, then=F("embedding__vector")), default=Value(None), output_field=BinaryField())
    scores: dict[int, float] = {}
    asked, seen, found = max(limit * OVERFETCH, MIN_ASK), set(), 0
    while True:
        keys = index.search(query, asked)
        fresh = np.array([key for key in keys.tolist() if key not in seen], dtype=np.int64)
        seen.update(fresh.tolist())
        held, matrix = index.vectors_of(fresh)
        exact = dict(zip(fresh[held].tolist(), (matrix @ query).tolist(), strict=True))
        wanted = Q(pk__in=list(exact))
        if not scores and not found:
            # As a subquery on the embeddings table, so both halves use its indexes (primary key,
            # embedded_at); an OR across the two tables' columns made PostgreSQL scan both tables whole.
            fresh_or_recent = Q(photo_id__in=list(exact)) | Q(embedded_at__gte=since)
            wanted = Q(pk__in=PhotoEmbedding.objects.filter(fresh_or_recent).values("photo_id"))
        rows = list(candidates.filter(wanted).values_list("pk", vector_if_recent))
        from_db = [(pk, vector) for pk, vector in rows if vector is not None]
        scores |= {pk: exact[pk] for pk, vector in rows if vector is None and pk in exact}
        if from_db:
            recomputed = vectors_unpack([vector for _, vector in from_db]) @ query
            scores |= {pk: float(s) for (pk, _), s in zip(from_db, recomputed, strict=True)}
        found += sum(1 for pk, _ in rows if pk in exact)
        # Candidates come nearest first: once they fall below the minimum, further ones would too.
        exhausted = len(keys) < asked or asked >= MAX_CANDIDATES or (exact and min(exact.values()) < min_similarity)
        if found >= limit or exhausted:
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
