"""End to end with a real Redis broker and real Celery worker processes."""

import io
import os
import re
import signal
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from PIL import Image
from skimage import data

from photos.models import Photo
from tests.factories import UserFactory
from tests.helpers import client_for, sample_upload
from tests.photos.test_imaging import assert_metadata_free, exif_with_secrets
from tests.workers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def upload_chelsea(data: bytes | None = None) -> int:
    client = client_for(UserFactory())
    image = io.BytesIO(data) if data is not None else sample_upload("chelsea")
    response = client.post("/api/v1/photos/", {"image": image}, format="multipart")
    assert response.status_code == 201 and response.json()["status"] == "processing"
    return response.json()["id"]


def chelsea_turned_with_exif() -> bytes:
    """Return chelsea stored on her side (rotated 90 degrees) with EXIF orientation 6 and GPS to put her upright."""
    exif = exif_with_secrets(6)
    sideways = Image.fromarray(data.chelsea()).transpose(Image.Transpose.ROTATE_90)
    buffer = io.BytesIO()
    sideways.save(buffer, "JPEG", quality=92, exif=exif)
    return buffer.getvalue()


def test_upload_is_processed_by_a_live_worker_upright_and_metadata_free(start_worker, tmp_path):
    start_worker(cache_dir=settings.RECOGNITION_CACHE_DIR)
    photo_id = upload_chelsea(chelsea_turned_with_exif())
    photo = wait_for(
        lambda: Photo.objects.filter(pk=photo_id, status="tagged").first(), timeout=120, what="tagging", logs=tmp_path
    )
    assert photo.tagging_attempts == 1
    assert (photo.width, photo.height) == (451, 300)  # chelsea is 451x300 upright; stored 300x451 with EXIF 6
    assert not photo.original and not any(Path(settings.STORAGES["originals"]["OPTIONS"]["location"]).rglob("*.*"))
    for field in (photo.image, photo.thumbnail):
        with field.open("rb") as stored:
            assert_metadata_free(stored.read())
    with photo.image.open("rb") as stored:
        upright = np.asarray(Image.open(stored).convert("RGB"), dtype=float)
    assert np.abs(upright - data.chelsea()).mean() < 12  # the same pixels, the right way up
    body = client_for(photo.owner).get(f"/api/v1/photos/{photo_id}/").json()
    cat = next(tag for tag in body["tags"] if tag["name"] == "cat")
    assert cat["source"] == "auto" and "animal" in cat["categories"] and cat["classes"]


def test_two_workers_drain_a_backlog_in_batches_and_process_no_photo_twice(start_worker, redis_broker, tmp_path):
    ids = [upload_chelsea() for _ in range(6)]  # queued before any worker runs: a backlog
    for _ in range(2):
        start_worker(cache_dir=settings.RECOGNITION_CACHE_DIR)

    # Each task run logs how many photos it processed, its own and those it drained.
    def counts() -> list[int]:
        logs = "".join(log.read_text(errors="replace") for log in tmp_path.glob("worker*.log"))
        return [int(n) for n in re.findall(r"process_photo\[[^\]]+\] succeeded in [^:]+: (\d+)", logs)]

    wait_for(lambda: len(counts()) == len(ids), timeout=180, what="every task to run", logs=tmp_path)
    photos = Photo.objects.filter(pk__in=ids)
    assert sorted(photos.values_list("status", "tagging_attempts")) == [("tagged", 1)] * len(ids)
    assert sum(counts()) == len(ids) and max(counts()) >= 2  # one run took several photos; none ran twice


def test_worker_killed_mid_task_loses_no_photo(start_worker, tmp_path):
    # An empty model cache makes the first task convert the model (seconds): a wide window
    # in which the task is running and unacknowledged.
    first = start_worker(cache_dir=tmp_path / "cold-cache")
    photo_id = upload_chelsea()
    wait_for(
        lambda: Photo.objects.filter(pk=photo_id, tagging_attempts=1).exists(),
        timeout=60,
        what="the task to start",
        logs=tmp_path,
    )
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    killed = Photo.objects.get(pk=photo_id)
    assert killed.status == "processing" and killed.original  # killed before it could finish: nothing lost

    # A new worker gets the unacknowledged message back once its visibility timeout passes.
    start_worker(cache_dir=tmp_path / "cold-cache", extra_env={"CELERY_VISIBILITY_TIMEOUT": "2"})
    photo = wait_for(
        lambda: Photo.objects.filter(pk=photo_id, status="tagged").first(),
        timeout=150,
        what="redelivery and tagging",
        logs=tmp_path,
    )
    assert photo.tagging_attempts == 2
    assert photo.photo_tags.filter(source="auto", tag__name="cat").count() == 1


def test_a_worker_takes_explanations_from_their_own_queue_and_frees_the_photo(
    start_worker, redis_broker, settings, tmp_path
):
    import redis

    from photos.tagging import photo_explanation_claim
    from recognition.tasks import explain_photo
    from tests.factories import PhotoFactory

    # The pending mark lives in the cache the worker shares: Redis, as in production.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_broker}}
    photo = PhotoFactory(status="tagged")  # no auto tag lacks a picture: the task ends at once
    assert photo_explanation_claim(photo_id=photo.pk)
    assert not photo_explanation_claim(photo_id=photo.pk)
    explain_photo.delay(photo.pk)
    broker = redis.Redis.from_url(redis_broker)
    assert broker.llen("explain") == 1

    start_worker(cache_dir=settings.RECOGNITION_CACHE_DIR)

    wait_for(lambda: photo_explanation_claim(photo_id=photo.pk), timeout=60, what="the explanation", logs=tmp_path)
    assert broker.llen("explain") == 0
