"""Writes about sensitive content: the nudity detector's mark, an owner marking their photo, a person's choice."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from photos.imaging import generated_name
from photos.models import Photo, User
from photos.sensitive.blur import blurred_jpeg
from photos.sensitive.models import NudityCheck

logger = logging.getLogger(__name__)

MAX_DETECTIONS = 32
KEPT_BY_MODERATOR = "A moderator reviewed this photo and kept its sensitive mark."


def nudity_detect(pixels) -> list | None:
    """Return what NudeNet finds on ``pixels`` (a PIL image: the worker's reduced display copy), or None when off.

    None means "not looked at" (detection switched off, or the model file missing), never "nothing found".
    """
    if not settings.NUDITY_DETECTION:
        return None
    from recognition import nudity

    try:
        return nudity.detect_nudity(pixels, num_threads=1)
    except nudity.NudityModelMissing:
        logger.warning("Nudity detection is on but its model is missing", exc_info=True)
        return None


def _detector_name() -> str:
    return f"nudenet-320n>={settings.NUDITY_THRESHOLD:g},skin>={settings.NUDITY_MIN_SKIN:g}"[:64]


def photo_nudity_store(*, photo: Photo, found: list | None) -> bool:
    """Store what ``nudity_detect`` found on ``photo``; on the first look, mark it sensitive if it scores enough.

    Runs in the worker's transaction, before the photo's blurred thumbnail is made on commit. Return
    whether this look marked the photo. A later look (a retry, a retag) updates the figures only: the
    owner's or a moderator's choice since then stands.
    """
    if found is None:
        return False
    from recognition.nudity import sensitive_score

    score = sensitive_score(found, tuple(settings.NUDITY_LABELS), min_skin=settings.NUDITY_MIN_SKIN)
    check, created = NudityCheck.objects.update_or_create(
        photo_id=photo.pk,
        defaults={
            "score": round(score, 4),
            "detections": [d.as_dict() for d in found[:MAX_DETECTIONS]],
            "model": _detector_name(),
        },
    )
    if not created or score < settings.NUDITY_THRESHOLD or photo.is_sensitive:
        return False
    NudityCheck.objects.filter(pk=check.pk).update(marked=True)
    Photo.objects.filter(pk=photo.pk).update(is_sensitive=True)
    photo.is_sensitive = True
    return True


def photo_sensitive_owner_set(*, photo: Photo, sensitive: bool, note: str = "") -> str:
    """Mark or unmark the owner's photo; return ``marked``, ``unmarked`` or ``review``.

    An unmark of a photo the detector was confident about (NUDITY_REVIEW_THRESHOLD or more) does not
    happen at once: it goes to the moderation queue, the mark held until a moderator decides
    (``review``). Once a moderator has removed the mark, the owner may mark and unmark freely; once
    one has kept it, an unmark is refused (ValidationError).
    """
    if sensitive or not photo.is_sensitive:
        photo_sensitive_set(photo=photo, sensitive=sensitive)
        return "marked" if sensitive else "unmarked"
    check = NudityCheck.objects.filter(photo_id=photo.pk).first()
    confident = check is not None and check.score >= settings.NUDITY_REVIEW_THRESHOLD
    if not confident or check.review == NudityCheck.Review.UNMARKED:
        photo_sensitive_set(photo=photo, sensitive=False)
        return "unmarked"
    if check.review == NudityCheck.Review.KEPT:
        raise ValidationError({"sensitive": [KEPT_BY_MODERATOR]})
    from photos.moderation.services import sensitive_review_request

    with transaction.atomic():
        sensitive_review_request(photo=photo, text=note)
        NudityCheck.objects.filter(pk=check.pk).update(review=NudityCheck.Review.PENDING)
    return "review"


def photo_review_settle(*, photo: Photo, unmarked: bool) -> None:
    """Record a moderator's decision on the photo's pending unmark request (if any): removed or kept."""
    decided = NudityCheck.Review.UNMARKED if unmarked else NudityCheck.Review.KEPT
    checks = NudityCheck.objects.filter(photo_id=photo.pk)
    if unmarked:
        checks.update(review=decided)
    else:
        checks.filter(review=NudityCheck.Review.PENDING).update(review=decided)


def photo_sensitive_set(*, photo: Photo, sensitive: bool) -> Photo:
    """Mark (or unmark) a photo as sensitive; a marked photo gets its blurred thumbnail now.

    A photo still processing has no thumbnail to blur yet: lists show it as a placeholder to those
    who would see it blurred until ``photo_blur_refresh`` runs (the copies being made).
    """
    photo.is_sensitive = sensitive
    with transaction.atomic():
        if not sensitive and photo.blurred_thumbnail:
            photo.blurred_thumbnail = ""  # its file goes on commit (django-cleanup)
        photo.save(update_fields=["is_sensitive", "blurred_thumbnail", "updated_at"])
        if sensitive:
            photo_blur_refresh(photo=photo)
    return photo


def photo_blur_refresh(*, photo: Photo) -> None:
    """Make the blurred thumbnail of a sensitive photo from its thumbnail (when it has one and none yet)."""
    if not photo.is_sensitive or not photo.thumbnail or photo.blurred_thumbnail:
        return
    with photo.thumbnail.open("rb") as thumbnail:
        data = blurred_jpeg(thumbnail.read())
    photo.blurred_thumbnail.save(generated_name(), ContentFile(data), save=False)
    Photo.objects.filter(pk=photo.pk).update(blurred_thumbnail=photo.blurred_thumbnail.name)


def photos_blur_refresh(*, photo_ids: list[int]) -> None:
    """Blur the sensitive ones of these photos that have just got their copies (marked while processing)."""
    for photo in Photo.objects.filter(pk__in=photo_ids, is_sensitive=True, blurred_thumbnail="").exclude(thumbnail=""):
        photo_blur_refresh(photo=photo)


def sensitive_preference_set(*, user: User, show: bool) -> User:
    """Set whether ``user`` always sees sensitive photos sharp (else blurred, with a Show control)."""
    if not isinstance(show, bool):
        raise ValidationError({"show_sensitive": ["Must be true or false."]})
    user.show_sensitive = show
    user.save(update_fields=["show_sensitive"])
    return user
