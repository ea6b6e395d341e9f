"""Reads about sensitive content: whom a photo is shown blurred to."""

from photos.models import Photo
from photos.selectors import Viewer


def photo_blurred_for(photo: Photo, viewer: Viewer) -> bool:
    """Return whether ``viewer`` is shown ``photo`` blurred: a sensitive photo, for visitors and for
    people (but its owner) who have not chosen to always see sensitive photos."""
    if not photo.is_sensitive:
        return False
    if not viewer.is_authenticated:
        return True
    return not (viewer.show_sensitive or viewer.pk == photo.owner_id)
