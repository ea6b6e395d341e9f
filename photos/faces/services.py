"""Detect faces on the pixels the worker already decoded, and store the count and boxes."""

import logging

from django.conf import settings
from django.db import transaction

from photos.faces.models import PhotoFaces
from photos.models import Photo

logger = logging.getLogger(__name__)

MAX_FACES = 64


def faces_detect(pixels) -> list | None:
    """Return the faces on ``pixels`` (a PIL image: the worker's reduced display copy), or None when off.

    None means "not looked at" (detection switched off, or the model files missing), never "no faces".
    """
    if not settings.FACE_DETECTION:
        return None
    from recognition import faces

    try:
        return faces.detect_faces(pixels, tuple(settings.FACE_DETECTION_MODELS), num_threads=1)[:MAX_FACES]
    except faces.FaceModelMissing:
        logger.warning("Face detection is on but its model is missing", exc_info=True)
        return None


def photo_faces_store(*, photo: Photo, faces: list | None) -> None:
    """Store what ``faces_detect`` found on ``photo`` (nothing when it did not look)."""
    if faces is None:
        return
    found, _ = PhotoFaces.objects.update_or_create(
        photo_id=photo.pk,
        defaults={
            "count": len(faces),
            "boxes": [face.as_list() for face in faces],
            "model": "+".join(settings.FACE_DETECTION_MODELS)[:64],
        },
    )
    if found.blur:
        # New copies were just made (a retry): the kept unblurred ones are stale, the new ones sharp.
        # Blur the new ones again (on the new boxes); unblurring will restore these.
        found.unblurred_image, found.unblurred_thumbnail = "", ""  # their files go on commit
        found.save(update_fields=["unblurred_image", "unblurred_thumbnail"])
        from photos.tasks import apply_face_blur

        transaction.on_commit(lambda: apply_face_blur.delay(photo.pk))
