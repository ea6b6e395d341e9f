"""Celery entry points: take ids, re-fetch, call one service. Transient errors retry with backoff."""

from celery import shared_task
from django.db import DatabaseError

from photos import tagging

RETRY = {
    "autoretry_for": (DatabaseError, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def tag_photo(photo_id: int) -> int:
    """Tag one uploaded photo (queued on commit after upload)."""
    return tagging.photos_tag(photo_ids=[photo_id])


@shared_task(**RETRY)
def tag_photos(photo_ids: list[int], force: bool = False) -> int:
    """Tag a batch of photos; ``force`` re-tags photos already tagged (model or taxonomy changed)."""
    return tagging.photos_tag(photo_ids=photo_ids, force=force)


@shared_task
def requeue_stale_photos() -> int:
    """Re-queue photos left pending too long (beat); return how many were queued."""
    batches = tagging.stale_photos_requeue()
    for batch in batches:
        tag_photos.delay(batch)
    return sum(len(batch) for batch in batches)


@shared_task(**RETRY)
def explain_photo(photo_id: int) -> int:
    """Draw the Grad-CAM pictures of a photo's CNN tags (on request from its page or the API)."""
    return tagging.photo_explanations_make(photo_id=photo_id)
