"""The worker's side of learned tags: train a version from the examples, and put the tag on photos.

Training imports Keras (through ``recognition.learned_heads.head_train``); tagging only scores
embeddings with numpy, so the processing pass can tag new uploads at no measurable cost.
"""

import logging
import time
from collections.abc import Iterable, Sequence

import numpy as np
from django.db import transaction
from django.utils import timezone

from photos.corrections.selectors import corrected_tag_names
from photos.learned.background import background_embeddings
from photos.learned.models import LearnedTag, LearnedTagExample, LearnedTagVersion
from photos.models import Photo, PhotoTag
from photos.search.index import photos_search_index_refresh
from photos.similar.models import PhotoEmbedding
from photos.similar.vectors import vectors_unpack
from recognition import learned_heads

logger = logging.getLogger(__name__)

# The owner's other photos stand for "not this" (a few may be unpicked instances: the threshold's
# precision target absorbs them); a sample is enough, and keeps training time flat for large accounts.
MAX_OWN_NEGATIVES = 400
# A removed learned tag is a clear "not this": it weighs more than an unlabelled photo.
REMOVED_WEIGHT = 3.0
SHOWN_PER_GRID = 48
PROGRESS_EVERY_SECONDS = 0.5


def _embeddings(photo_ids: Iterable[int], model_version: str) -> tuple[list[int], np.ndarray]:
    rows = list(
        PhotoEmbedding.objects.filter(photo_id__in=list(photo_ids), model_version=model_version)
        .order_by("photo_id")
        .values_list("photo_id", "vector")
    )
    return [pk for pk, _ in rows], vectors_unpack([v for _, v in rows])


def _owner_embeddings(owner_id: int, model_version: str, *, chunk_size: int = 2000):
    """Yield (photo ids, embeddings) of all the owner's embedded photos, in chunks."""
    rows = PhotoEmbedding.objects.filter(photo__owner_id=owner_id, model_version=model_version)
    after = 0
    while True:
        batch = list(
            rows.filter(photo_id__gt=after).order_by("photo_id").values_list("photo_id", "vector")[:chunk_size]
        )
        if not batch:
            return
        after = batch[-1][0]
        yield np.array([pk for pk, _ in batch], dtype=np.int64), vectors_unpack([v for _, v in batch])


def _progress_reporter(learned_tag_id: int):
    last = [0.0]

    def report(share: float) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS or share >= 1.0:
            last[0] = now
            LearnedTag.objects.filter(pk=learned_tag_id).update(progress=round(share, 3))

    return report


def learned_tag_train(*, learned_tag_id: int) -> LearnedTagVersion | None:
    """Train a new version of the learned tag from its examples; tag the owner's photos if it is on.

    Returns None when the tag is gone. A tag whose examples no longer suffice ends ``failed`` with a reason.
    """
    from recognition.efficientnet_lite import MODEL_VERSION

    learned = LearnedTag.objects.filter(pk=learned_tag_id).select_related("tag").first()
    if learned is None:
        return None
    LearnedTag.objects.filter(pk=learned.pk).update(
        state=LearnedTag.State.TRAINING, state_reason="", progress=0.02, retrain_due_at=None
    )
    report = _progress_reporter(learned.pk)
    examples = dict(LearnedTagExample.objects.filter(learned_tag=learned).values_list("photo_id", "positive"))
    pos_ids, positives = _embeddings([pk for pk, yes in examples.items() if yes], MODEL_VERSION)
    neg_ids, negatives = _embeddings([pk for pk, yes in examples.items() if not yes], MODEL_VERSION)
    own_ids = list(
        PhotoEmbedding.objects.filter(photo__owner_id=learned.owner_id, model_version=MODEL_VERSION)
        .exclude(photo_id__in=list(examples))
        .values_list("photo_id", flat=True)
    )
    rng = np.random.default_rng(learned.pk)
    sampled = sorted(rng.choice(own_ids, size=min(MAX_OWN_NEGATIVES, len(own_ids)), replace=False).tolist())
    _, own = _embeddings(sampled, MODEL_VERSION)
    own = own[~learned_heads.likely_unpicked(positives, own)] if len(positives) >= 2 else own
    background = background_embeddings(MODEL_VERSION)
    report(0.1)
    all_negatives = np.concatenate([negatives, own, background])
    weights = np.r_[np.full(len(negatives), REMOVED_WEIGHT), np.ones(len(own) + len(background))]
    started = time.process_time()
    try:
        head = learned_heads.head_train(
            positives, all_negatives, negative_weights=weights, on_progress=lambda s: report(0.1 + 0.8 * s)
        )
    except ValueError as error:
        reason = f"Not enough examples to learn from: {error}. Add example photos and it will learn again."
        LearnedTag.objects.filter(pk=learned.pk).update(state=LearnedTag.State.FAILED, state_reason=reason[:255])
        return None
    seconds = time.process_time() - started
    would, unsure = _preview(learned, head, set(examples), MODEL_VERSION)
    with transaction.atomic():
        # Two trainings of one tag (its first and a retraining after feedback) number their versions in turn.
        if not LearnedTag.objects.select_for_update().filter(pk=learned.pk).exists():
            return None  # deleted while it trained
        number = (learned.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        version = LearnedTagVersion.objects.create(
            learned_tag=learned,
            number=number,
            weights=learned_heads.head_pack(head.kernel, head.bias),
            threshold=round(head.threshold, 4),
            precision=round(head.precision, 4),
            recall=round(head.recall, 4),
            target_met=head.target_met,
            positives=len(pos_ids),
            negatives=head.negatives,
            folds=head.folds,
            epochs=head.epochs,
            train_seconds=round(seconds, 3),
            embedding_model=MODEL_VERSION,
            would_tag=[pk for pk, _ in would[:SHOWN_PER_GRID]],
            unsure=[pk for pk, _ in unsure[:SHOWN_PER_GRID]],
            would_tag_count=len(would),
            unsure_count=len(unsure),
        )
        LearnedTag.objects.filter(pk=learned.pk).update(
            current=version, state=LearnedTag.State.READY, progress=1.0, updated_at=timezone.now()
        )
        learned.refresh_from_db()
        if learned.is_active:
            learned_tag_apply(learned_tag=learned)
    logger.info("Learned tag %s v%s: %.2fs, p=%.2f r=%.2f", learned.pk, number, seconds, head.precision, head.recall)
    return version


def _preview(learned: LearnedTag, head, examples: set[int], model_version: str):
    """Return (would tag, unsure) among the owner's photos that are not examples, each [(id, score)] best first."""
    would, unsure = [], []
    floor = max(0.0, head.threshold - learned_heads.UNSURE_BAND)
    for ids, vectors in _owner_embeddings(learned.owner_id, model_version):
        scores = learned_heads.head_scores(vectors, head.kernel, head.bias)
        for pk, score in zip(ids.tolist(), scores.tolist(), strict=True):
            if pk in examples:
                continue
            if score >= head.threshold:
                would.append((pk, score))
            elif score >= floor:
                unsure.append((pk, score))
    return sorted(would, key=lambda r: -r[1]), sorted(unsure, key=lambda r: -r[1])


def provenance(version: LearnedTagVersion, score: float, *, example: bool = False) -> str:
    """Return why a learned tag is on a photo, in words (PhotoTag.rule: at most 120 characters)."""
    said = f"one of your {version.positives} examples" if example else f"learned from your {version.positives} examples"
    below = "" if version.target_met else " (below the 0.9 aimed for)"
    return f"{said}; score {score:.2f}; precision {version.precision:.2f} in validation{below}"


def _rows(learned: LearnedTag, version: LearnedTagVersion, ids: Sequence[int], scores: Sequence[float]):
    """Return the unsaved PhotoTag rows the version gives among ``ids`` (corrected photos and counter-examples not)."""
    examples = dict(
        LearnedTagExample.objects.filter(learned_tag=learned, photo_id__in=list(ids)).values_list(
            "photo_id", "positive"
        )
    )
    # An example is tagged (or not) as its owner said; any other photo by its score.
    chosen = [
        (pk, score) for pk, score in zip(ids, scores, strict=True) if examples.get(pk, score >= version.threshold)
    ]
    if not chosen:
        return []
    # Lock the photos first, as the corrections do: a removal made meanwhile is seen here or waits.
    list(Photo.objects.select_for_update().filter(pk__in=[pk for pk, _ in chosen]).order_by("pk").values_list("pk"))
    corrected = corrected_tag_names(pk for pk, _ in chosen)
    name = learned.tag.name
    return [
        PhotoTag(
            photo_id=pk,
            tag_id=learned.tag_id,
            source=PhotoTag.Source.LEARNED,
            confidence=round(float(score), 4),
            rule=provenance(version, score, example=examples.get(pk) is True),
            model_version=version.label,
        )
        for pk, score in chosen
        if name not in corrected.get(pk, ())
    ]


def learned_tag_apply(*, learned_tag: LearnedTag) -> int:
    """Put the switched-on learned tag's current version on all its owner's photos; return how many carry it."""
    from photos.learned.services import learned_tags_remove_from_photos

    version = learned_tag.current
    if not learned_tag.is_active or version is None:
        return 0
    head = learned_heads.head_unpack(version.weights)
    with transaction.atomic():
        touched = set(learned_tags_remove_from_photos(learned_tag))
        rows = []
        for ids, vectors in _owner_embeddings(learned_tag.owner_id, version.embedding_model):
            scores = learned_heads.head_scores(vectors, *head)
            rows += _rows(learned_tag, version, ids.tolist(), scores.tolist())
        PhotoTag.objects.bulk_create(rows, ignore_conflicts=True)
        touched |= {row.photo_id for row in rows}
        if touched:
            photos_search_index_refresh(sorted(touched))
    return len(rows)


def photos_learned_tags_apply(*, photos: Sequence[Photo], embeddings: np.ndarray) -> int:
    """Put their owners' switched-on learned tags on newly embedded photos (the processing pass); return how many.

    One query when no owner in the batch has one on; numpy scoring otherwise, no TensorFlow.
    """
    from recognition.efficientnet_lite import MODEL_VERSION  # the embeddings just computed

    owners = {photo.owner_id for photo in photos}
    learned = list(
        LearnedTag.objects.filter(
            owner_id__in=owners, is_active=True, current__embedding_model=MODEL_VERSION
        ).select_related("current", "tag")
    )
    if not learned:
        return 0
    embeddings = np.asarray(embeddings, dtype=np.float32)
    embeddings = embeddings / np.maximum(np.linalg.norm(embeddings, axis=1, keepdims=True), 1e-12)
    rows = []
    for tag in learned:
        mine = [i for i, photo in enumerate(photos) if photo.owner_id == tag.owner_id]
        scores = learned_heads.head_scores(embeddings[mine], *learned_heads.head_unpack(tag.current.weights))
        rows += _rows(tag, tag.current, [photos[i].pk for i in mine], scores.tolist())
    if rows:
        PhotoTag.objects.bulk_create(rows, ignore_conflicts=True)
        photos_search_index_refresh(sorted({row.photo_id for row in rows}))
    return len(rows)
