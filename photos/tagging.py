"""Where recognition meets the social domain: tag photos with the CNN and store what it found.

The Celery tasks in ``recognition.tasks`` call these functions with photo ids. They fetch the rows,
run ``recognition``'s pure chain (decode, preprocess, predict, map to tags: no Django in it) and
write tags, status and heat maps atomically. ``recognition`` itself never writes these tables.
"""

import io
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from photos.accessibility.services import photos_alt_text_draft
from photos.corrections.services import auto_tags_drop_corrected
from photos.imaging import generated_name
from photos.models import Photo, PhotoTag, Tag
from photos.search.index import photos_search_index_refresh
from photos.similar import services as similar

if TYPE_CHECKING:
    from recognition.looking import PhotoViews

logger = logging.getLogger(__name__)

# Images that cannot be decoded are a permanent failure; anything else (database, storage,
# broker) is transient and the task retries it.
DECODE_ERRORS = (OSError, ValueError, SyntaxError)
# Photos classified and written together: one CNN batch, one transaction.
CHUNK_SIZE = 16
# How long a queued explanation blocks another for the same photo. Past the task's hard time
# limit, so a lost task (worker killed, broker flushed) only delays the next request.
EXPLANATION_PENDING_SECONDS = 15 * 60


def _load_views(photo: Photo) -> "PhotoViews | str":
    """Return the views the network may need of a stored photo, or why they cannot be had."""
    from recognition import pipeline

    try:
        with photo.image.open("rb") as source:
            return pipeline.load_views(source)
    except FileNotFoundError:
        return "The stored image file is missing."
    except DECODE_ERRORS as error:
        return f"The stored image could not be decoded ({type(error).__name__})."


def _provenance(prediction) -> list[dict]:
    """Return PhotoTag.classes: [{"name", "score"}, ...]; tags decided on views add "view", "sum" and "views"."""
    if hasattr(prediction, "provenance"):
        return prediction.provenance()
    return [{"name": name, "score": round(float(score), 4)} for name, score in prediction.classes]


def _tag_chunk(chunk: Sequence[tuple[Photo, "PhotoViews | str"]]) -> int:
    """Classify one chunk of loaded photos and write its tags (or failures); return how many were tagged."""
    # TensorFlow is imported here, in the worker, never on the web request path.
    from recognition import pipeline

    for photo, reason in ((p, image) for p, image in chunk if isinstance(image, str)):
        logger.warning("Photo %s failed tagging: %s", photo.pk, reason)
        photo_mark_failed(photo_id=photo.pk, reason=reason)
    loaded = [(photo, image) for photo, image in chunk if not isinstance(image, str)]
    if not loaded:
        return 0
    predictions, embeddings = pipeline.predict_views_and_embeddings(
        [image for _, image in loaded],
        cache_dir=settings.RECOGNITION_CACHE_DIR,
        num_threads=settings.RECOGNITION_NUM_THREADS,
    )
    results = [(photo, tags) for (photo, _), tags in zip(loaded, predictions, strict=True)]
    with transaction.atomic():
        photos_auto_tags_replace(results=results, **pipeline.versions())
        similar.photos_embeddings_store(
            photo_ids=[photo.pk for photo, _ in loaded],
            embeddings=embeddings,
            network_inputs=[views.network_input for _, views in loaded],  # each centre crop
            model_version=pipeline.versions()["model_version"],
        )
    return len(results)


def _tags_for(predictions: Iterable) -> dict[str, Tag]:
    """Return the Tag rows for the predicted tag names, creating missing ones and updating categories."""
    wanted = {p.name: list(p.categories) for p in predictions}
    tags = Tag.objects.in_bulk(list(wanted), field_name="name")
    missing = [Tag(name=name, categories=categories) for name, categories in wanted.items() if name not in tags]
    if missing:
        # Two workers may create the same new tag at once: let the database keep one.
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        tags = Tag.objects.in_bulk(list(wanted), field_name="name")
    stale = [tag for name, tag in tags.items() if tag.categories != wanted[name]]
    for tag in stale:
        tag.categories = wanted[tag.name]
    Tag.objects.bulk_update(stale, ["categories"])
    return tags


def photos_auto_tags_replace(
    *, results: Sequence[tuple[Photo, Sequence]], model_version: str, taxonomy_version: str
) -> None:
    """Replace the CNN tags (never hashtag or user tags) of a batch of photos and mark them tagged.

    One transaction and a fixed number of queries for the whole batch (plus the search index),
    so the database stays off the worker's critical path.
    """
    photo_ids = [photo.pk for photo, _ in results]
    with transaction.atomic():
        # The owner's verdicts stand: a removed tag never comes back, a confirmed one is not doubled.
        results, described = auto_tags_drop_corrected(results)
        tags = _tags_for(prediction for _, predictions in results for prediction in predictions)
        PhotoTag.objects.filter(photo_id__in=photo_ids, source=PhotoTag.Source.AUTO).delete()
        PhotoTag.objects.bulk_create(
            PhotoTag(
                photo=photo,
                tag=tags[prediction.name],
                source=PhotoTag.Source.AUTO,
                confidence=round(float(prediction.confidence), 4),
                classes=_provenance(prediction),
                rule=prediction.rule,
                model_version=model_version,
                taxonomy_version=taxonomy_version,
            )
            for photo, predictions in results
            for prediction in predictions
        )
        photos_search_index_refresh(photo_ids)
        photos_alt_text_draft(results=described)
        now = timezone.now()
        Photo.objects.filter(pk__in=photo_ids).update(
            status=Photo.Status.TAGGED, status_reason="", tagged_at=now, updated_at=now
        )


def photo_mark_failed(*, photo_id: int, reason: str) -> None:
    """Mark a photo as failed with a reason a person can read."""
    Photo.objects.filter(pk=photo_id).update(status=Photo.Status.FAILED, status_reason=reason[:255])


def photos_tag(*, photo_ids: Sequence[int], force: bool = False) -> int:
    """Tag the given photos, in chunks of CHUNK_SIZE; return how many were tagged.

    Photos that are gone, or already tagged (unless ``force``), are skipped quietly, so a
    redelivered task does no harm. The attempt counter is bumped before the work starts, so
    a photo that keeps killing workers is eventually given up by the sweeper.
    """
    photos = Photo.objects.filter(pk__in=photo_ids)
    if not force:
        photos = photos.exclude(status=Photo.Status.TAGGED)
    photos = list(photos.order_by("pk"))
    if not photos:
        return 0
    Photo.objects.filter(pk__in=[p.pk for p in photos]).update(
        tagging_attempts=F("tagging_attempts") + 1, updated_at=timezone.now()
    )
    tagged = 0
    # Decoding is the bottleneck and Pillow releases the GIL while it reads and decodes:
    # every decode is submitted at once, so threads decode the next chunk while the CNN
    # and the database work on this one.
    with ThreadPoolExecutor(max_workers=settings.RECOGNITION_DECODE_THREADS) as pool:
        loaded = zip(photos, pool.map(_load_views, photos), strict=True)
        while chunk := list(islice(loaded, CHUNK_SIZE)):
            tagged += _tag_chunk(chunk)
    return tagged


def stale_photos_requeue(*, batch_size: int = 16) -> list[list[int]]:
    """Return batches of photo ids left processing too long, failing those out of attempts.

    Covers a lost queue (broker restarted) or a task lost with its worker; the tagging
    task is idempotent, so re-queuing a photo that is merely slow costs only time.
    """
    cutoff = timezone.now() - settings.RECOGNITION_STALE_AFTER
    stale = Photo.objects.filter(status=Photo.Status.PROCESSING, updated_at__lt=cutoff)
    given_up = stale.filter(tagging_attempts__gte=settings.RECOGNITION_MAX_ATTEMPTS)
    given_up.update(
        status=Photo.Status.FAILED,
        status_reason=f"Gave up after {settings.RECOGNITION_MAX_ATTEMPTS} attempts.",
    )
    ids = list(stale.filter(~Q(tagging_attempts__gte=settings.RECOGNITION_MAX_ATTEMPTS)).values_list("pk", flat=True))
    Photo.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    return [ids[i : i + batch_size] for i in range(0, len(ids), batch_size)]


def _explanation_pending_key(photo_id: int) -> str:
    return f"photo-explanation-pending:{photo_id}"


def photo_explanation_claim(*, photo_id: int) -> bool:
    """Mark an explanation of the photo as queued; return False if one is already pending.

    A cache key added only if absent (Redis SET NX EX): one round trip, atomic across web processes.
    """
    return cache.add(_explanation_pending_key(photo_id), 1, timeout=EXPLANATION_PENDING_SECONDS)


def photo_explanation_release(*, photo_id: int) -> None:
    """Let the photo be explained again (its task finished, or was never queued)."""
    cache.delete(_explanation_pending_key(photo_id))


def photo_explanations_make(*, photo_id: int) -> int:
    """Draw a Grad-CAM picture for each CNN tag of a photo that lacks one; return how many were made.

    The photo's pending mark is released once the work is done or found impossible; a transient
    error keeps it, since the task retries, and the mark expires on its own if the retries run out.
    """
    made = _photo_explanations_draw(photo_id=photo_id)
    photo_explanation_release(photo_id=photo_id)
    return made


def _photo_explanations_draw(*, photo_id: int) -> int:
    """Draw each tag's map on the view that earned it (named in its provenance), over the whole photo."""
    from recognition import decision, explain, framing, inference, taxonomy

    photo_tags = list(
        PhotoTag.objects.filter(photo_id=photo_id, source=PhotoTag.Source.AUTO, explanation="").select_related(
            "photo", "tag"
        )
    )
    if not photo_tags:
        return 0
    try:
        with photo_tags[0].photo.image.open("rb") as source:
            img = inference.decode_image(source)
    except (FileNotFoundError, *DECODE_ERRORS) as error:
        logger.warning("Photo %s cannot be explained: %s", photo_id, type(error).__name__)
        return 0
    rules = taxonomy.get_taxonomy()
    made = 0
    for photo_tag in photo_tags:
        rule = rules.rule_for_tag(photo_tag.tag.name)
        classes = rule.classes if rule is not None else decision.category_classes(photo_tag.tag.name, rules)
        if not classes:  # the taxonomy no longer has this tag; a retag will replace it
            continue
        earned = (photo_tag.classes or [{}])[0].get("view", "centre")
        view = framing.view_named(img, earned)
        picture = explain.heatmap_on_photo(img, view, explain.class_activation_map(view.pixels, classes))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=85)
        photo_tag.explanation.save(generated_name(), ContentFile(buffer.getvalue()), save=False)
        PhotoTag.objects.filter(pk=photo_tag.pk).update(explanation=photo_tag.explanation.name)
        made += 1
    return made
