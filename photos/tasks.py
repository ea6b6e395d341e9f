"""Celery entry points of the social domain: scheduled by beat, each calls one service."""

from dataclasses import asdict

from celery import shared_task
from celery.signals import worker_ready
from django.db import DatabaseError

from photos.explore.item_model import item_model_rebuild
from photos.explore.refresh import item_model_refresh
from photos.export.services import data_export_build, data_exports_expire
from photos.learned.tasks import apply_learned_tag, train_learned_tag  # noqa: F401 - registered with the worker
from photos.media_gc import media_gc
from photos.similar import services as similar


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def rebuild_item_model() -> dict:
    """Rebuild Explore's photo neighbours and popularity pools from recent history (beat)."""
    return asdict(item_model_rebuild())


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def refresh_item_model() -> dict:
    """Bring Explore's item model up to date with the latest interactions, or build it if there is none (beat)."""
    return asdict(item_model_refresh())


@worker_ready.connect
def build_item_model_when_missing(sender, **kwargs) -> None:
    """Queue a refresh when a worker starts: a site without a model gets one now, not at the next beat."""
    refresh_item_model.delay()


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def collect_orphaned_media() -> dict:
    """Delete stored files no row names, older than the grace period (beat, daily)."""
    report = media_gc()
    return {"scanned": report.scanned, "removed": len(report.removed), "removed_bytes": report.removed_bytes}


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def build_data_export(export_id: int) -> bool:
    """Build a person's "Download my data" zip (queued on commit when they ask)."""
    return data_export_build(export_id=export_id) is not None


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def delete_expired_data_exports() -> int:
    """Delete the data exports past their expiry, files included (beat)."""
    return data_exports_expire()


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def find_duplicates(photo_ids: list[int]) -> int:
    """Record which of their owner's earlier photos these newly embedded photos copy (queued on commit)."""
    return similar.photos_duplicates_find(photo_ids=photo_ids)


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def rebuild_similar_index() -> dict:
    """Rebuild the nearest-neighbour index of photo embeddings from the database (beat)."""
    return similar.similar_index_rebuild()


@shared_task(autoretry_for=(DatabaseError,), retry_backoff=True, retry_backoff_max=300, max_retries=5)
def apply_face_blur(photo_id: int) -> bool:
    """Blur (or unblur) the faces in a photo's served copies, as its owner chose (queued on commit)."""
    from photos.faces.blur import face_blur_apply

    return face_blur_apply(photo_id=photo_id)
