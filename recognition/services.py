"""Tag photos with the CNN: fetch rows, run the pure ML chain, write tags and status atomically."""

import logging
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from photos.models import Photo, PhotoTag, Tag

logger = logging.getLogger(__name__)

# Images that cannot be decoded are a permanent failure; anything else (database, storage,
# broker) is transient and the task retries it.
DECODE_ERRORS = (OSError, ValueError, SyntaxError)


def _classify(photos: Sequence[Photo]) -> tuple[list, dict[int, str]]:
    """Return per-photo tag predictions and the photos that could not be decoded, with why."""
    # TensorFlow is imported here, in the worker, never on the web request path.
    from recognition import pipeline

    images, decoded, failures = [], [], {}
    for photo in photos:
        try:
            with photo.image.open("rb") as source:
                images.append(pipeline.load_image(source))
            decoded.append(photo)
        except FileNotFoundError:
            failures[photo.pk] = "The stored image file is missing."
        except DECODE_ERRORS as error:
            failures[photo.pk] = f"The stored image could not be decoded ({type(error).__name__})."
    predictions = []
    if images:
        predictions = pipeline.predict_tags(
            images, cache_dir=settings.RECOGNITION_CACHE_DIR, num_threads=settings.RECOGNITION_NUM_THREADS
        )
    return list(zip(decoded, predictions, strict=True)), failures


def photo_auto_tags_replace(*, photo: Photo, predictions: Iterable, model_version: str, taxonomy_version: str) -> None:
    """Replace the photo's CNN tags (never hashtag or user tags) and mark it tagged."""
    predictions = list(predictions)
    with transaction.atomic():
        photo.photo_tags.filter(source=PhotoTag.Source.AUTO).delete()
        rows = []
        for prediction in predictions:
            tag, created = Tag.objects.get_or_create(
                name=prediction.name, defaults={"categories": list(prediction.categories)}
            )
            if not created and tag.categories != list(prediction.categories):
                Tag.objects.filter(pk=tag.pk).update(categories=list(prediction.categories))
            rows.append(
                PhotoTag(
                    photo=photo,
                    tag=tag,
                    source=PhotoTag.Source.AUTO,
                    confidence=round(float(prediction.confidence), 4),
                    classes=[{"name": name, "score": round(float(score), 4)} for name, score in prediction.classes],
                    rule=prediction.rule,
                    model_version=model_version,
                    taxonomy_version=taxonomy_version,
                )
            )
        PhotoTag.objects.bulk_create(rows)
        Photo.objects.filter(pk=photo.pk).update(
            status=Photo.Status.TAGGED, status_reason="", tagged_at=timezone.now(), updated_at=timezone.now()
        )


def photo_mark_failed(*, photo_id: int, reason: str) -> None:
    """Mark a photo as failed with a reason a person can read."""
    Photo.objects.filter(pk=photo_id).update(status=Photo.Status.FAILED, status_reason=reason[:255])


def photos_tag(*, photo_ids: Sequence[int], force: bool = False) -> int:
    """Tag the given photos in one batch; return how many were tagged.

    Photos that are gone, or already tagged (unless ``force``), are skipped quietly, so a
    redelivered task does no harm. The attempt counter is bumped before the work starts, so
    a photo that keeps killing workers is eventually given up by the sweeper.
    """
    from recognition import pipeline

    photos = Photo.objects.filter(pk__in=photo_ids)
    if not force:
        photos = photos.exclude(status=Photo.Status.TAGGED)
    photos = list(photos.order_by("pk"))
    if not photos:
        return 0
    Photo.objects.filter(pk__in=[p.pk for p in photos]).update(
        tagging_attempts=F("tagging_attempts") + 1, updated_at=timezone.now()
    )
    classified, failures = _classify(photos)
    for photo_id, reason in failures.items():
        logger.warning("Photo %s failed tagging: %s", photo_id, reason)
        photo_mark_failed(photo_id=photo_id, reason=reason)
    versions = pipeline.versions()
    for photo, predictions in classified:
        photo_auto_tags_replace(photo=photo, predictions=predictions, **versions)
    return len(classified)


def stale_photos_requeue(*, batch_size: int = 16) -> list[list[int]]:
    """Return batches of photo ids left pending too long, failing those out of attempts.

    Covers a lost queue (broker restarted) or a task lost with its worker; the tagging
    task is idempotent, so re-queuing a photo that is merely slow costs only time.
    """
    cutoff = timezone.now() - settings.RECOGNITION_STALE_AFTER
    stale = Photo.objects.filter(status=Photo.Status.PENDING, updated_at__lt=cutoff)
    given_up = stale.filter(tagging_attempts__gte=settings.RECOGNITION_MAX_ATTEMPTS)
    given_up.update(
        status=Photo.Status.FAILED,
        status_reason=f"Gave up after {settings.RECOGNITION_MAX_ATTEMPTS} attempts.",
    )
    ids = list(stale.filter(~Q(tagging_attempts__gte=settings.RECOGNITION_MAX_ATTEMPTS)).values_list("pk", flat=True))
    Photo.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    return [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]
