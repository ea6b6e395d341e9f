"""The worker's pass over an upload: decode once -> display copy and thumbnail -> CNN input -> predict -> store.

Each stage is one function, so another output of the same pass (an embedding) joins as one more
field of ``_Prepared`` and one more write in ``_store``. The original is deleted only once the
copies and tags are committed: a worker killed anywhere before that leaves the photo
``processing`` with its original, and the sweeper queues it again.
"""

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from photos import tagging
from photos.faces import services as faces
from photos.imaging import generated_name
from photos.learned import training as learned
from photos.models import Photo, originals_storage
from photos.notifications import services as notifications
from photos.processing.render import RenderedPhoto, RenderFailed, reduced_pixels, render_original
from photos.sensitive import services as sensitive
from photos.similar import services as similar

if TYPE_CHECKING:
    import numpy as np

    from recognition.looking import PhotoViews

logger = logging.getLogger(__name__)

MISSING_ORIGINAL = "The uploaded file is missing; upload the photo again."
PREDICT_BATCH_SIZE = 1


@dataclass(frozen=True, slots=True)
class _Prepared:
    """One photo after its decode: the copies to store (None if it already has them) and the CNN input."""

    photo: Photo
    rendered: RenderedPhoto | None
    network_input: "PhotoViews"
    faces: list | None = None  # detected on the same pixels; None: not looked at
    nudity: list | None = None  # NudeNet's detections on the same pixels; None: not looked at


def decode_limits() -> dict:
    """Return the upload limits ``process_upload`` takes, from settings (read per call, not at import)."""
    return {
        "max_bytes": settings.PHOTO_MAX_BYTES,
        "max_pixels": settings.PHOTO_MAX_PIXELS,
        "max_scans": settings.PHOTO_MAX_JPEG_SCANS,
        "max_decode_work": settings.PHOTO_MAX_DECODE_WORK,
        "max_decode_seconds": settings.PHOTO_DECODE_SECONDS,
    }


def _prepare(photo: Photo) -> _Prepared | str:
    """Decode the photo once, make its copies and cut the CNN input from the same pixels; or say why not."""
    from recognition import pipeline

    if not photo.original:
        # Uploaded before originals were kept: its copies exist, only the tags are missing.
        if not photo.has_copies:
            return MISSING_ORIGINAL
        loaded = tagging._load_views(photo)
        return loaded if isinstance(loaded, str) else _Prepared(photo=photo, rendered=None, network_input=loaded)
    try:
        with photo.original.open("rb") as source:
            data = source.read()
    except FileNotFoundError:
        return MISSING_ORIGINAL
    try:
        rendered = render_original(data, **{k: v for k, v in decode_limits().items() if k != "max_bytes"})
    except RenderFailed as failure:
        return failure.reason
    views = pipeline.image_views(rendered.pixels)
    return _Prepared(
        photo=photo,
        rendered=rendered,
        network_input=views,
        faces=faces.faces_detect(rendered.pixels),
        nudity=sensitive.nudity_detect(rendered.pixels),
    )


def _predict(prepared: Sequence[_Prepared]) -> tuple[list, "np.ndarray"]:
    from recognition import pipeline

    return pipeline.predict_views_and_embeddings(
        [p.network_input for p in prepared],
        cache_dir=settings.RECOGNITION_CACHE_DIR,
        num_threads=settings.RECOGNITION_NUM_THREADS,
        # One image at a time: measured on LiteRT/XNNPACK here, a batch of 8 costs 11.5 ms of CPU
        # per image on one thread against 9.7 ms one by one (its activations outgrow the caches),
        # and the same on two threads. The batch shares the task and the database writes instead.
        batch_size=PREDICT_BATCH_SIZE,
    )


def _write_copies(prepared: Sequence[_Prepared]) -> dict[int, tuple[str, str]]:
    """Write each new display copy and thumbnail; return their storage names by photo id."""
    names = {}
    for p in prepared:
        if p.rendered is None:
            continue
        name = generated_name()
        image = default_storage.save(f"photos/{name}", ContentFile(p.rendered.image))
        thumbnail = default_storage.save(f"thumbs/{name}", ContentFile(p.rendered.thumbnail))
        names[p.photo.pk] = (image, thumbnail)
    return names


def _store(prepared: Sequence[_Prepared], predictions: Sequence, embeddings: "np.ndarray") -> None:
    """Name the copies on the rows and replace the CNN tags (marking the photos tagged), in one transaction."""
    from recognition import pipeline

    names = _write_copies(prepared)
    keep = settings.PHOTO_KEEP_ORIGINALS
    try:
        with transaction.atomic():
            for p in prepared:
                if p.rendered is None:
                    continue
                image, thumbnail = names[p.photo.pk]
                fields = {"image": image, "thumbnail": thumbnail, "width": p.rendered.width}
                fields |= {"height": p.rendered.height} | ({} if keep else {"original": ""})
                Photo.objects.filter(pk=p.photo.pk).update(**fields)
                faces.photo_faces_store(photo=p.photo, faces=p.faces)
                sensitive.photo_nudity_store(photo=p.photo, found=p.nudity)
            results = [(p.photo, tags) for p, tags in zip(prepared, predictions, strict=True)]
            tagging.photos_auto_tags_replace(results=results, **pipeline.versions())
            for p in prepared:
                # Mentioned people are told once they can see the photo: now, not at upload.
                notifications.mentions_notify_on_commit(author=p.photo.owner, photo=p.photo, text=p.photo.caption)
            # A photo marked sensitive while processing (by its owner, or just now by the nudity detector)
            # gets its blurred thumbnail now that it has copies.
            made = [p.photo.pk for p in prepared if p.rendered is not None]
            transaction.on_commit(lambda: sensitive.photos_blur_refresh(photo_ids=made))
            if not keep:
                gone = [p.photo.original.name for p in prepared if p.rendered is not None]
                transaction.on_commit(lambda: [originals_storage().delete(name) for name in gone])
            # After the originals' deletion is registered: its on-commit runs first.
            similar.photos_embeddings_store(
                photo_ids=[p.photo.pk for p in prepared],
                embeddings=embeddings,
                network_inputs=[p.network_input.network_input for p in prepared],  # each centre crop
                model_version=pipeline.versions()["model_version"],
            )
            learned.photos_learned_tags_apply(photos=[p.photo for p in prepared], embeddings=embeddings)
    except BaseException:
        for image, thumbnail in names.values():
            default_storage.delete(image)
            default_storage.delete(thumbnail)
        raise


def _finish(chunk: Sequence[tuple[Photo, _Prepared | str]]) -> int:
    for photo, reason in ((photo, p) for photo, p in chunk if isinstance(p, str)):
        logger.warning("Photo %s failed processing: %s", photo.pk, reason)
        tagging.photo_mark_failed(photo_id=photo.pk, reason=reason)
    prepared = [p for _, p in chunk if not isinstance(p, str)]
    if prepared:
        _store(prepared, *_predict(prepared))
    return len(prepared)


def photos_process(*, photo_ids: Sequence[int], drain: int = 0) -> int:
    """Process the given photos that are still ``processing``; return how many ended tagged.

    Photos gone, tagged or failed are skipped quietly, so a redelivered task does no harm. The
    attempt counter is bumped before the work starts: a photo that keeps killing workers is
    eventually given up by the sweeper.

    On PostgreSQL each photo is processed under an advisory lock, so no two runs ever process
    the same photo, and once its own photos are done a run drains up to ``drain`` more that
    still wait for their first attempt, as one batch: the CNN, the database writes and the
    task's overhead are shared. Their own tasks then find them done (or locked) and return.
    """
    with _PhotoLocks() as locks:
        done = _photos_process_claimed(locks.claim(photo_ids))
        if drain and locks.available:
            waiting = Photo.objects.filter(status=Photo.Status.PROCESSING, tagging_attempts=0)
            waiting = waiting.exclude(pk__in=photo_ids).order_by("pk").values_list("pk", flat=True)
            done += _photos_process_claimed(locks.claim(list(waiting[:drain])))
    return done


class _PhotoLocks:
    """Session-level advisory locks on photo ids, all released on exit (or with the connection).

    A lock is only tried, never waited for: a photo locked elsewhere is being processed there.
    Without PostgreSQL every photo is granted (SQLite sites run one worker), and nothing drains.
    """

    # The first key of the two-key lock space, so these locks cannot meet another use's.
    NAMESPACE = 0x50484F54  # "PHOT"

    def __init__(self) -> None:
        self.available = connection.vendor == "postgresql"
        self.held: list[int] = []

    def claim(self, photo_ids: Sequence[int]) -> list[int]:
        """Lock what can be locked of ``photo_ids`` at once; return those ids."""
        if not self.available or not photo_ids:
            return list(photo_ids)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id FROM unnest(%s::bigint[]) AS id WHERE pg_try_advisory_lock(%s, (id %% 2147483648)::int)",
                [list(photo_ids), self.NAMESPACE],
            )
            claimed = [row[0] for row in cursor.fetchall()]
        self.held += claimed
        return claimed

    def __enter__(self) -> "_PhotoLocks":
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self.held:
            return
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, (id %% 2147483648)::int) FROM unnest(%s::bigint[]) AS id",
                    [self.NAMESPACE, self.held],
                )
        except DatabaseError:
            # The connection broke: the session, and every lock it held, is gone with it.
            logger.warning("Could not release the processing locks of photos %s", self.held, exc_info=True)
        self.held = []


def _photos_process_claimed(photo_ids: Sequence[int]) -> int:
    if not photo_ids:
        return 0
    photos = Photo.objects.filter(pk__in=photo_ids, status=Photo.Status.PROCESSING).select_related("owner")
    photos = list(photos.order_by("pk"))
    if not photos:
        return 0
    Photo.objects.filter(pk__in=[p.pk for p in photos]).update(
        tagging_attempts=F("tagging_attempts") + 1, updated_at=timezone.now()
    )
    done = 0
    # Pillow releases the GIL while it decodes, resamples and encodes: threads prepare the next
    # photos while the CNN and the database work on this chunk.
    with ThreadPoolExecutor(max_workers=settings.RECOGNITION_DECODE_THREADS) as pool:
        prepared = zip(photos, pool.map(_prepare, photos), strict=True)
        while chunk := list(islice(prepared, tagging.CHUNK_SIZE)):
            done += _finish(chunk)
    return done


def photos_retag(*, photo_ids: Sequence[int]) -> int:
    """Tag photos again with the current model and taxonomy; return how many ended tagged.

    A photo not tagged (failed, or stuck processing) whose original is still there is processed
    again from that original, as at upload: its copies are made anew, none may exist. A tagged
    photo is re-tagged from its display copy: the model or taxonomy changed, not its pixels.
    """
    untagged = Photo.objects.filter(pk__in=photo_ids).exclude(status=Photo.Status.TAGGED).exclude(original="")
    from_original = list(untagged.values_list("pk", flat=True))
    Photo.objects.filter(pk__in=from_original).update(
        status=Photo.Status.PROCESSING, status_reason="", tagging_attempts=0, updated_at=timezone.now()
    )
    done = photos_process(photo_ids=from_original) if from_original else 0
    rest = [photo_id for photo_id in photo_ids if photo_id not in set(from_original)]
    return done + (tagging.photos_tag(photo_ids=rest, force=True) if rest else 0)


def photos_detect(*, photo_ids: Sequence[int]) -> int:
    """Run the face and nudity detectors that have not looked at these tagged photos yet; return how many did.

    For photos processed before a detector existed (or while it was switched off): the detectors read
    the display copy, reduced as the worker reduces the pixels it decodes, and store what they find
    as the worker would, the nudity detector's mark (a first look) and its blurred thumbnail included.
    What a detector stored before is kept: only the missing looks are taken.
    """
    from PIL import Image

    from photos.tagging import DECODE_ERRORS

    photos = Photo.objects.filter(pk__in=photo_ids, status=Photo.Status.TAGGED).exclude(image="")
    done = 0
    for photo in photos.select_related("faces", "nudity").order_by("pk"):
        need_faces, need_nudity = not hasattr(photo, "faces"), not hasattr(photo, "nudity")
        if not (need_faces or need_nudity):
            continue
        try:
            with photo.image.open("rb") as source, Image.open(source) as image:
                pixels = reduced_pixels(image.convert("RGB"))
        except DECODE_ERRORS as error:  # a missing file is an OSError too
            logger.warning("Photo %s: its display copy cannot be read (%s)", photo.pk, type(error).__name__)
            continue
        found_faces = faces.faces_detect(pixels) if need_faces else None
        found_nudity = sensitive.nudity_detect(pixels) if need_nudity else None
        if found_faces is None and found_nudity is None:
            continue  # both switched off
        with transaction.atomic():
            faces.photo_faces_store(photo=photo, faces=found_faces)
            if sensitive.photo_nudity_store(photo=photo, found=found_nudity):
                transaction.on_commit(lambda photo_id=photo.pk: sensitive.photos_blur_refresh(photo_ids=[photo_id]))
        done += 1
    return done


def photos_mark_timed_out(*, photo_ids: Sequence[int], seconds: int) -> None:
    """Fail photos whose processing ran past its time limit; their originals stay for a retry.

    Photos the run had finished stay tagged. Photos it had drained are not named here: they stay
    ``processing`` with their original, and the sweeper queues them again.
    """
    reason = f"Processing took longer than {seconds} seconds. Try again, or upload a smaller image."
    Photo.objects.filter(pk__in=photo_ids, status=Photo.Status.PROCESSING).update(
        status=Photo.Status.FAILED, status_reason=reason[:255]
    )


def photo_processing_retry(*, photo: Photo) -> Photo:
    """Queue a failed photo for processing again; refuse when there is nothing left to process."""
    if photo.status != Photo.Status.FAILED:
        raise ValidationError({"status": [f"Only a failed photo can be retried; this one is {photo.status}."]})
    if not photo.original and not photo.has_copies:
        raise ValidationError({"status": [MISSING_ORIGINAL]})
    with transaction.atomic():
        Photo.objects.filter(pk=photo.pk).update(
            status=Photo.Status.PROCESSING, status_reason="", tagging_attempts=0, updated_at=timezone.now()
        )
        transaction.on_commit(lambda: photo_processing_queue(photo_id=photo.pk))
    photo.refresh_from_db()
    return photo


def photo_processing_queue(*, photo_id: int) -> None:
    """Queue one photo's processing (call it on commit)."""
    # Imported here: the task module is loaded by the worker, not by every web import.
    from recognition.tasks import process_photo

    process_photo.delay(photo_id)
