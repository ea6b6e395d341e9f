"""Writes of the similar-photos wing: store what the worker computed, record near-duplicates."""

from collections.abc import Sequence
from datetime import timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from photos.similar import ann
from photos.similar.models import PhotoDuplicate, PhotoEmbedding
from photos.similar.vectors import (
    EMBEDDING_MIN_SIMILARITY,
    HASH_MAX_DISTANCE,
    hash_distances,
    perceptual_hash,
    vector_pack,
    vectors_unpack,
)

# Enough to point the owner at their copies; a photo posted fifty times needs no fifty rows.
MAX_DUPLICATES_PER_PHOTO = 5
# Embeddings stored this long before a build started are searched exactly as well: covers rows
# committed after the build read past them. Far below the rebuild period, so the exact part stays small.
INDEX_OVERLAP = timedelta(minutes=2)


def photos_embeddings_store(
    *, photo_ids: Sequence[int], embeddings: np.ndarray, network_inputs: Sequence[np.ndarray], model_version: str
) -> None:
    """Store (or replace) the photos' embeddings and perceptual hashes; look for duplicates once committed.

    The hash is taken from the CNN's own input crop: the pixels are already decoded, and a resize or a
    re-encode of the same picture gives the same crop.
    """
    if not (len(photo_ids) == len(embeddings) == len(network_inputs)):
        raise ValueError(
            f"got {len(photo_ids)} photo ids, {len(embeddings)} embeddings and {len(network_inputs)} images"
        )
    now = timezone.now()
    rows = [
        PhotoEmbedding(
            photo_id=photo_id,
            model_version=model_version,
            vector=vector_pack(embedding),
            phash=perceptual_hash(pixels),
            embedded_at=now,
        )
        for photo_id, embedding, pixels in zip(photo_ids, embeddings, network_inputs, strict=True)
    ]
    PhotoEmbedding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["photo"],
        update_fields=["model_version", "vector", "phash", "embedded_at"],
    )
    ids = list(photo_ids)
    # Robust: a broker hiccup costs the duplicate check, never the photo or the other on-commit work.
    transaction.on_commit(lambda: _duplicates_queue(photo_ids=ids), robust=True)


def _duplicates_queue(*, photo_ids: list[int]) -> None:
    from photos.tasks import find_duplicates

    find_duplicates.delay(photo_ids)


def photos_duplicates_find(*, photo_ids: Sequence[int]) -> int:
    """Record, for each photo, its owner's earlier photos that are the same picture; return how many pairs.

    Compared with the owner's own photos only: two people photographing the same cat are not
    duplicates, and nobody learns what someone else posted. Never blocks or changes the upload.
    """
    found = 0
    for mine in PhotoEmbedding.objects.filter(photo_id__in=photo_ids).select_related("photo"):
        earlier = list(
            PhotoEmbedding.objects.filter(
                photo__owner_id=mine.photo.owner_id, photo_id__lt=mine.photo_id, model_version=mine.model_version
            ).values_list("photo_id", "vector", "phash")
        )
        with transaction.atomic():
            PhotoDuplicate.objects.filter(photo_id=mine.photo_id).delete()
            if earlier:
                found += _duplicates_record(mine, earlier)
    return found


def _duplicates_record(mine: PhotoEmbedding, earlier: list[tuple[int, bytes, int | None]]) -> int:
    ids = np.array([row[0] for row in earlier])
    similarities = vectors_unpack([row[1] for row in earlier]) @ vectors_unpack([mine.vector])[0]
    hashes = np.array([row[2] if row[2] is not None else 0 for row in earlier], dtype=np.int64)
    distances = hash_distances(mine.phash, hashes) if mine.phash is not None else np.full(len(ids), 64)
    distances[[row[2] is None for row in earlier]] = 64
    same = distances <= HASH_MAX_DISTANCE
    edited = similarities >= EMBEDDING_MIN_SIMILARITY
    matches = np.flatnonzero(same | edited)
    best = matches[np.argsort(-similarities[matches], kind="stable")][:MAX_DUPLICATES_PER_PHOTO]
    if not len(best):
        return 0
    clusters = dict(
        PhotoDuplicate.objects.filter(photo_id__in=ids[best].tolist()).values_list("photo_id", "cluster_id")
    )
    PhotoDuplicate.objects.bulk_create(
        PhotoDuplicate(
            photo_id=mine.photo_id,
            original_id=int(ids[i]),
            cluster_id=min(clusters.get(int(ids[j]), int(ids[j])) for j in best),
            kind=PhotoDuplicate.Kind.SAME if same[i] else PhotoDuplicate.Kind.EDITED,
            hash_distance=int(distances[i]),
            similarity=round(float(similarities[i]), 4),
        )
        for i in best
    )
    return len(best)


def similar_index_rebuild(*, chunk_size: int = 20_000) -> dict:
    """Build the nearest-neighbour index from the current model's embeddings, or drop it on a small site.

    Streams the table in primary-key chunks, so memory holds one chunk plus the index (int8, a
    fraction of the float16 table). Embeddings stored after the build started are searched exactly
    by the selector until the next build.
    """
    from django.conf import settings

    from recognition.efficientnet_lite import MODEL_VERSION

    root = settings.SIMILAR_INDEX_DIR
    rows = PhotoEmbedding.objects.filter(model_version=MODEL_VERSION)
    # A margin before the build starts: a row stamped earlier may commit after the build read past it.
    since = timezone.now() - INDEX_OVERLAP
    count = rows.count()
    if count < settings.SIMILAR_INDEX_MIN_PHOTOS:
        ann.index_remove(root)
        return {"count": count, "index": False}
    all_ids = np.fromiter(rows.values_list("pk", flat=True).iterator(chunk_size=50_000), dtype=np.int64)
    sample_ids = np.random.default_rng().choice(all_ids, size=min(ann.PCA_SAMPLE, len(all_ids)), replace=False)
    sample = vectors_unpack(list(rows.filter(pk__in=sample_ids.tolist()).values_list("vector", flat=True)))

    def chunks():
        after = 0
        while True:
            batch = list(rows.filter(pk__gt=after).order_by("pk").values_list("pk", "vector")[:chunk_size])
            if not batch:
                return
            after = batch[-1][0]
            yield np.array([pk for pk, _ in batch], dtype=np.int64), vectors_unpack([v for _, v in batch])

    info = ann.index_build(
        chunks(),
        sample=sample,
        root=root,
        model_version=MODEL_VERSION,
        embedded_since=since.isoformat(),
        dims=settings.SIMILAR_INDEX_DIMS,
    )
    return {"count": info.count, "index": True, "directory": info.directory}
