"""Writes about sensitive content: an owner marking their photo, a person's "always show" choice."""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from photos.imaging import generated_name
from photos.models import Photo, User
from photos.sensitive.blur import blurred_jpeg


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
