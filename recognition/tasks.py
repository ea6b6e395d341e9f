"""Celery entry points: take ids, re-fetch, call one service. Transient errors retry with backoff."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError

from photos import tagging
from photos.processing import services as processing

RETRY = {
    "autoretry_for": (DatabaseError, ConnectionError, TimeoutError),
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
}
# Read when the worker imports this module. The hard limit kills the worker process (the
# original stays and the sweeper re-queues); the soft one lets the photo end failed, retryable.
PROCESS_LIMITS = {
    "soft_time_limit": settings.PHOTO_PROCESS_SOFT_SECONDS,
    "time_limit": settings.PHOTO_PROCESS_HARD_SECONDS,
}


def _process(photo_ids: list[int], drain: int = 0) -> int:
    try:
        return processing.photos_process(photo_ids=photo_ids, drain=drain)
    except SoftTimeLimitExceeded:
        processing.photos_mark_timed_out(photo_ids=photo_ids, seconds=settings.PHOTO_PROCESS_SOFT_SECONDS)
        return 0


@shared_task(**RETRY, **PROCESS_LIMITS)
def process_photo(photo_id: int) -> int:
    """Decode an upload once, make its copies and tag it, then drain a few more waiting (queued on commit)."""
    return _process([photo_id], drain=settings.PHOTO_PROCESS_DRAIN)


@shared_task(**RETRY, **PROCESS_LIMITS)
def process_photos(photo_ids: list[int]) -> int:
    """Process a batch of photos still ``processing`` (the sweeper's re-queues)."""
    return _process(photo_ids)


@shared_task(**RETRY, **PROCESS_LIMITS)
def tag_photo(photo_id: int) -> int:
    """Alias of ``process_photo`` for messages queued before it existed."""
    return _process([photo_id])


@shared_task(**RETRY)
def tag_photos(photo_ids: list[int], force: bool = False) -> int:
    """Process photos; ``force`` tags them all again (model or taxonomy changed), see ``photos_retag``."""
    if force:
        return processing.photos_retag(photo_ids=photo_ids)
    return _process(photo_ids)


@shared_task
def requeue_stale_photos() -> int:
    """Re-queue photos left processing too long (beat); return how many were queued."""
    batches = tagging.stale_photos_requeue()
    for batch in batches:
        process_photos.delay(batch)
    return sum(len(batch) for batch in batches)


@shared_task(**RETRY)
def explain_photo(photo_id: int) -> int:
    """Draw the Grad-CAM pictures of a photo's CNN tags (on request from its page or the API)."""
    return tagging.photo_explanations_make(photo_id=photo_id)
