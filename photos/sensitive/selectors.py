"""Reads about sensitive content: whom a photo is shown blurred to."""

from photos.models import Photo
from photos.selectors import Viewer
from photos.sensitive.models import NudityCheck


def photo_blurred_for(photo: Photo, viewer: Viewer) -> bool:
    """Return whether ``viewer`` is shown ``photo`` blurred: a sensitive photo, for visitors and for
    people (but its owner) who have not chosen to always see sensitive photos."""
    if not photo.is_sensitive:
        return False
    if not viewer.is_authenticated:
        return True
    return not (viewer.show_sensitive or viewer.pk == photo.owner_id)


def photo_nudity_for(*, photo: Photo, viewer: Viewer) -> NudityCheck | None:
    """Return what the nudity detector found on ``photo`` if ``viewer`` owns it and the worker looked; else None.

    Owner-only, like faces: the labels and boxes describe the body of someone in the photo.
    """
    if not viewer.is_authenticated or viewer.pk != photo.owner_id:
        return None
    return NudityCheck.objects.filter(photo_id=photo.pk).first()
