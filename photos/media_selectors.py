"""Which stored file a media path names, and who may fetch it: the one rule behind every media response."""

import posixpath

from django.db.models import Q, QuerySet

from photos.explore.compiled import CompiledQuery, ids_filter
from photos.models import Photo, PhotoTag
from photos.selectors import Viewer, photos_visible_to


def media_name(path: str) -> str | None:
    """Return the storage name a media URL path stands for, or None when it is not one as written.

    A stored name is relative, uses ``/`` only, and has no empty, ``.`` or ``..`` segment: any other
    spelling could be checked as one file and served as another, so it names no file at all.
    """
    if not path or "\\" in path or "\x00" in path or path != posixpath.normpath(path):
        return None
    if path.startswith("/") or any(segment in ("", ".", "..") for segment in path.split("/")):
        return None
    return path


def media_visible(*, viewer: Viewer, name: str) -> bool:
    """Return whether ``viewer`` may fetch the stored file ``name`` (a photo, thumbnail, blurred thumbnail,
    heat map or avatar)."""
    if media_name(name) != name:
        return False
    if name.startswith("avatars/"):
        return True  # avatars are public, like the profiles that show them
    return bool(_MEDIA_PHOTO.rows(viewer, [name])) or (
        PhotoTag.objects.filter(explanation=name, photo__in=photos_visible_to(viewer)).exists()
    )


def _media_photo_rows(viewer: Viewer, names: list[str]) -> QuerySet:
    copies = ids_filter("image", names, "text") | ids_filter("thumbnail", names, "text")
    copies |= ids_filter("blurred_thumbnail", names, "text")
    return photos_visible_to(viewer).filter(copies).values_list("pk")[:1]


# Every thumbnail of a grid is a request that asks this: compiled once per process (CompiledQuery).
_MEDIA_PHOTO = CompiledQuery(_media_photo_rows)


def media_photo_id(name: str) -> int | None:
    """Return the id of the photo whose image, thumbnail or heat map is stored as ``name``, if any."""
    copies = Q(image=name) | Q(thumbnail=name) | Q(blurred_thumbnail=name)
    photo_id = Photo.objects.filter(copies).values_list("pk", flat=True).first()
    if photo_id is None:
        photo_id = PhotoTag.objects.filter(explanation=name).values_list("photo_id", flat=True).first()
    return photo_id
