"""Reads of what the worker's detectors found on a photo: for its owner only."""

from dataclasses import dataclass

from photos.faces.models import PhotoFaces
from photos.models import Photo
from photos.selectors import Viewer
from photos.sensitive.models import NudityCheck


@dataclass(frozen=True, slots=True)
class Findings:
    """The face detector's record and the nudity detector's check of one photo (None: not looked, or not yours)."""

    faces: PhotoFaces | None = None
    nudity: NudityCheck | None = None


def photo_findings_for(*, photo: Photo, viewer: Viewer) -> Findings:
    """Return what the face and nudity detectors found on ``photo`` if ``viewer`` owns it; else nothing.

    Owner-only: the people in a photo did not agree to be counted or located, and the nudity
    labels describe someone's body; a count shown to everyone would soon be a filter. One query
    for both, none for others or while the worker is (again) looking.
    """
    if not viewer.is_authenticated or viewer.pk != photo.owner_id or photo.status == Photo.Status.PROCESSING:
        return Findings()
    found = (
        Photo.objects.filter(pk=photo.pk)
        .select_related("faces", "nudity")
        .only("id", "faces", "nudity")
        .order_by()
        .first()
    )
    if found is None:
        return Findings()
    return Findings(faces=getattr(found, "faces", None), nudity=getattr(found, "nudity", None))
