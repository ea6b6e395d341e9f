"""Celery entry points of learned tags: take an id, re-fetch, call one service (imported by photos.tasks)."""

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

RETRY = {"autoretry_for": (DatabaseError,), "retry_backoff": True, "retry_backoff_max": 300, "max_retries": 5}


@shared_task(**RETRY)
def train_learned_tag(learned_tag_id: int) -> int | None:
    """Train a learned tag anew (queued at creation, and after feedback with a delay: debounced).

    A retraining that wakes before the tag's ``retrain_due_at`` leaves the work to the task queued by
    the latest feedback, so a burst of confirmations and removals trains once.
    """
    from photos.learned.models import LearnedTag
    from photos.learned.training import learned_tag_train

    due = LearnedTag.objects.filter(pk=learned_tag_id).values_list("retrain_due_at", flat=True).first()
    if due is not None and due > timezone.now():
        return None
    version = learned_tag_train(learned_tag_id=learned_tag_id)
    return version.number if version else None


@shared_task(**RETRY)
def apply_learned_tag(learned_tag_id: int) -> int:
    """Tag the owner's photos with a learned tag just switched on (queued on commit)."""
    from photos.learned.models import LearnedTag
    from photos.learned.training import learned_tag_apply

    learned = LearnedTag.objects.filter(pk=learned_tag_id).select_related("current", "tag").first()
    return learned_tag_apply(learned_tag=learned) if learned else 0
