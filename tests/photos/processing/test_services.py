"""The worker's pass: one decode, copies without metadata, the CNN from the same pixels, states and retries."""

import io
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from PIL import Image
from skimage import data

from photos import services, tagging
from photos.media_gc import media_gc
from photos.models import Photo
from photos.processing import render
from photos.processing import services as processing
from recognition import pipeline, tasks
from tests.factories import PhotoFactory, UserFactory
from tests.helpers import client_for, jpeg_bytes, processed, sample_upload
from tests.photos.test_imaging import encode

pytestmark = pytest.mark.django_db


def upload(user, content: bytes | None = None) -> Photo:
    image = io.BytesIO(content) if content is not None else sample_upload("chelsea")
    return services.photo_create(owner=user, image=image)


def png_with_broken_pixels() -> bytes:
    """Return a PNG whose chunks are whole (the request accepts it) but whose zlib stream is garbage."""
    good = encode(Image.new("RGB", (64, 64), "red"), "PNG")
    start = good.index(b"IDAT") - 4
    length = int.from_bytes(good[start : start + 4], "big")
    junk = bytes(range(256))[:length] if length <= 256 else bytes(length)
    chunk = b"IDAT" + junk
    return (
        good[:start]
        + length.to_bytes(4, "big")
        + chunk
        + zlib.crc32(chunk).to_bytes(4, "big")
        + good[start + 12 + length :]
    )


def test_a_photo_that_fails_only_at_decode_ends_failed_with_a_reason_its_owner_reads(user, client):
    photo = upload(user, png_with_broken_pixels())
    assert photo.status == Photo.Status.PROCESSING

    photo = processed(photo)

    assert photo.status == Photo.Status.FAILED and "could not be decoded" in photo.status_reason
    assert photo.original and not photo.image  # nothing made, the original kept for a retry
    client.force_login(user)
    page = client.get(f"/p/{photo.pk}/").content.decode()
    assert "Processing failed: The image could not be decoded" in page and 'id="retry-form"' in page
    assert client_for(UserFactory()).get(f"/api/v1/photos/{photo.pk}/").status_code == 404


def test_a_failed_photo_is_retried_by_its_owner_and_then_tagged(user, settings, django_capture_on_commit_callbacks):
    photo = upload(user)
    settings.PHOTO_MAX_PIXELS = 1000  # lowered between the upload and the worker's run
    photo = processed(photo)
    assert photo.status == Photo.Status.FAILED and "megapixels" in photo.status_reason
    stranger = client_for(UserFactory())
    assert stranger.post(f"/api/v1/photos/{photo.pk}/retry/").status_code == 404

    settings.PHOTO_MAX_PIXELS = 50_000_000
    with django_capture_on_commit_callbacks() as queued:
        response = client_for(user).post(f"/api/v1/photos/{photo.pk}/retry/")
    assert response.status_code == 202 and response.json()["status"] == "processing" and len(queued) == 1
    assert client_for(user).post(f"/api/v1/photos/{photo.pk}/retry/").status_code == 400  # not failed any more

    with django_capture_on_commit_callbacks(execute=True):
        photo = processed(photo)
    assert photo.status == Photo.Status.TAGGED and photo.status_reason == "" and photo.has_copies
    assert "cat" in set(photo.photo_tags.values_list("tag__name", flat=True))


@pytest.mark.parametrize("queue", [False, True])
def test_retag_of_failed_photos_processes_them_again_from_their_originals(user, settings, queue, monkeypatch):
    from django.core.management import call_command

    photo = upload(user)
    settings.PHOTO_MAX_PIXELS = 1000
    photo = processed(photo)
    assert photo.status == Photo.Status.FAILED and photo.original and not photo.has_copies
    settings.PHOTO_MAX_PIXELS = 50_000_000
    # --queue hands the batches to the workers: run them here as a worker would.
    monkeypatch.setattr(tasks.tag_photos, "delay", lambda ids, force: tasks.tag_photos(ids, force=force))

    call_command("retag", "--status", "failed", *(["--queue"] if queue else []))

    photo.refresh_from_db()
    assert photo.status == Photo.Status.TAGGED and photo.has_copies and (photo.width, photo.height) == (451, 300)
    assert "cat" in set(photo.photo_tags.values_list("tag__name", flat=True))


def test_the_page_retry_button_queues_the_photo_again(user, client, django_capture_on_commit_callbacks):
    photo = processed(upload(user, png_with_broken_pixels()))
    client.force_login(user)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(f"/p/{photo.pk}/retry/")
    assert response.status_code == 302 and len(queued) == 1
    assert Photo.objects.get(pk=photo.pk).status == Photo.Status.PROCESSING


def test_one_decode_per_photo_at_draft_scale_feeds_copies_and_cnn(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    big = Image.fromarray(data.chelsea()).resize((4000, 2660))
    photo = upload(user, encode(big, "JPEG", quality=90))
    decodes, inputs = [], []
    real_load, real_input = Image.Image.load, pipeline.image_input

    def counting_load(self):
        if getattr(self, "format", None) == "JPEG" and self.tile:
            decodes.append(self.size)
        return real_load(self)

    monkeypatch.setattr(Image.Image, "load", counting_load)
    monkeypatch.setattr(pipeline, "image_input", lambda img: inputs.append(img.size) or real_input(img))
    with django_capture_on_commit_callbacks(execute=True):
        photo = processed(photo)

    assert decodes == [(2000, 1330)]  # decoded once, at 1/2 scale: it covers the 1920 display size
    assert inputs == [(667, 444)]  # the CNN input is cut from those same pixels, reduced 3x with the thumbnail
    assert (photo.width, photo.height) == (2000, 1330) and photo.status == Photo.Status.TAGGED
    with Image.open(photo.thumbnail.path) as thumbnail:
        assert thumbnail.size == (render.THUMB_SIDE, render.THUMB_SIDE)


def test_the_decoded_pixels_are_never_copied(monkeypatch):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored on its side: turned in place
    jpeg = encode(Image.fromarray(data.chelsea()).resize((2000, 1400)), "JPEG", quality=90, exif=exif)

    def no_copy(self, *args, **kwargs):
        raise AssertionError("the decoded pixels were copied")

    monkeypatch.setattr(Image.Image, "copy", no_copy)
    monkeypatch.setattr(Image.Image, "convert", no_copy)
    rendered = render.render_original(jpeg, max_pixels=50_000_000)
    assert (rendered.width, rendered.height) == (1400, 2000) and rendered.pixels.size == (467, 667)
    assert Image.open(io.BytesIO(rendered.thumbnail)).size == (render.THUMB_SIDE, render.THUMB_SIDE)


def test_a_larger_photo_is_resized_to_the_display_size():
    rendered = render.render_original(encode(Image.new("RGB", (5000, 3000), "blue"), "PNG"), max_pixels=50_000_000)
    assert (rendered.width, rendered.height) == (1920, 1152)


def test_the_original_is_deleted_once_processed_unless_kept(
    user, settings, originals_root, django_capture_on_commit_callbacks
):
    gone = upload(user)
    with django_capture_on_commit_callbacks(execute=True):
        processed(gone)
    assert not any(originals_root.rglob("*.jpg"))

    settings.PHOTO_KEEP_ORIGINALS = True
    kept = upload(user)
    with django_capture_on_commit_callbacks(execute=True):
        kept = processed(kept)
    path = Path(kept.original.path)
    assert kept.status == Photo.Status.TAGGED and path.exists()
    for viewer in (user, UserFactory()):
        assert client_for(viewer).get(f"/media/{kept.original.name}").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_delete(photo=kept)
    assert not path.exists()  # deleted with the photo


def test_a_run_that_dies_mid_way_loses_nothing_and_the_sweeper_requeues_it(user, settings, monkeypatch):
    photo = upload(user)

    def crash(*args, **kwargs):
        raise MemoryError("worker killed")

    monkeypatch.setattr(pipeline, "predict_tags", crash)
    with pytest.raises(MemoryError):
        processed(photo)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.PROCESSING and photo.original and not photo.image
    assert Path(photo.original.path).exists()

    monkeypatch.undo()
    Photo.objects.filter(pk=photo.pk).update(updated_at=timezone.now() - settings.RECOGNITION_STALE_AFTER * 2)
    assert tagging.stale_photos_requeue() == [[photo.pk]]
    assert processed(photo).status == Photo.Status.TAGGED


def test_past_the_soft_time_limit_the_photo_fails_retryable(user, monkeypatch):
    photo = upload(user)

    def too_slow(**kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(processing, "photos_process", too_slow)
    assert tasks.process_photo(photo.pk) == 0
    photo.refresh_from_db()
    assert photo.status == Photo.Status.FAILED and "longer than" in photo.status_reason and photo.original


def test_a_photo_uploaded_before_originals_is_tagged_from_its_copies(user):
    legacy = PhotoFactory(owner=user, status=Photo.Status.PROCESSING)  # copies, no original
    before = (legacy.image.name, legacy.thumbnail.name)
    legacy = processed(legacy)
    assert legacy.status == Photo.Status.TAGGED and (legacy.image.name, legacy.thumbnail.name) == before


def test_the_old_task_names_still_process(user):
    photo = upload(user)
    assert tasks.tag_photo(photo.pk) == 1 and tasks.tag_photo(photo.pk) == 0  # redelivery does no harm
    other = upload(user)
    assert tasks.tag_photos([other.pk]) == 1


def test_pending_rows_migrate_to_processing():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("photos.migrations.0011_photo_processing_original")
    photo = PhotoFactory()
    Photo.objects.filter(pk=photo.pk).update(status="pending")
    migration.pending_to_processing(apps, None)
    assert Photo.objects.get(pk=photo.pk).status == Photo.Status.PROCESSING


def test_media_gc_sweeps_orphaned_originals_and_keeps_those_of_processing_photos(user, originals_root):
    photo = upload(user)
    orphan = originals_root / "originals" / "ab" / "orphan.jpg"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(jpeg_bytes())
    report = media_gc(grace=timedelta(seconds=-1))
    assert "originals/ab/orphan.jpg" in report.removed and not orphan.exists()
    assert Path(photo.original.path).exists()
