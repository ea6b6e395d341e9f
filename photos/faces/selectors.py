"""What is shown of a photo's faces: to its owner only."""

from photos.faces.models import PhotoFaces
from photos.models import Photo


def photo_faces_for(*, photo: Photo, viewer) -> PhotoFaces | None:
    """Return the faces found on ``photo`` if ``viewer`` owns it and the worker looked; else None.

    Owner-only, count included: the people in a photo did not agree to be counted or located,
    and a count shown to everyone would soon be a filter ("photos with 1 face"). The owner sees
    what the machine found on their own photo, which is what the blur control needs.
    """
    if not viewer.is_authenticated or viewer.pk != photo.owner_id:
        return None
    return PhotoFaces.objects.filter(photo_id=photo.pk).first()
