"""Blur the faces found on a photo in its served copies, and unblur them, from a private unblurred copy.

While the faces are blurred, the display copy and thumbnail as they were are kept on the originals'
storage (never served) on the photo's ``PhotoFaces`` row; unblurring puts them back and deletes them.
The work runs in the worker (``photos.tasks.apply_face_blur``): decoding and re-encoding a display copy
is not for a request.
"""

import io

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageFilter

from photos.faces.models import PhotoFaces
from photos.imaging import generated_name
from photos.models import Photo, PhotoTag
from photos.processing.render import THUMB_SIDE, _encode, _square
from photos.sensitive import services as sensitive

# A face box is widened by this share of its size on each side (hair, chin, the detector's slack).
MARGIN = 0.25


def faces_blur_set(*, photo: Photo, blur: bool) -> PhotoFaces:
    """Record the owner's choice to blur (or unblur) the faces on ``photo``; the worker applies it."""
    from photos.tasks import apply_face_blur

    if not isinstance(blur, bool):
        raise ValidationError({"blur": ["Must be true or false."]})
    found = PhotoFaces.objects.filter(photo_id=photo.pk).first()
    if found is None:
        raise ValidationError({"blur": ["The photo has not been looked at for faces yet."]})
    if blur and not found.count:
        raise ValidationError({"blur": ["No faces were found on this photo: there is nothing to blur."]})
    found.blur = blur
    found.save(update_fields=["blur"])
    transaction.on_commit(lambda: apply_face_blur.delay(photo.pk))
    return found


def blurred_pixels(image: Image.Image, boxes: list[list[float]]) -> Image.Image:
    """Return ``image`` with each relative box (widened by MARGIN) blurred beyond recognition."""
    out = image.convert("RGB").copy()
    for left, top, right, bottom in boxes:
        dx, dy = (right - left) * MARGIN, (bottom - top) * MARGIN
        box = (
            max(0, int((left - dx) * out.width)),
            max(0, int((top - dy) * out.height)),
            min(out.width, int((right + dx) * out.width) + 1),
            min(out.height, int((bottom + dy) * out.height) + 1),
        )
        if box[2] <= box[0] or box[3] <= box[1]:
            continue
        region = out.crop(box)
        # Pixelate then blur: no detail of the face survives, whatever the blur radius.
        small = region.resize((max(1, region.width // 12), max(1, region.height // 12)), Image.Resampling.BOX)
        region = small.resize(region.size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(4))
        out.paste(region, box[:2])
    return out


def _thumbnail(display: Image.Image) -> bytes:
    factor = max(1, min(display.size) // round(THUMB_SIDE * 1.15))
    reduced = display.reduce(factor) if factor > 1 else display
    return _encode(_square(reduced, THUMB_SIDE))


def face_blur_apply(*, photo_id: int) -> bool:
    """Make the photo's served copies match its owner's choice; return whether anything changed."""
    with transaction.atomic():
        found = PhotoFaces.objects.select_for_update().filter(photo_id=photo_id).first()
        photo = Photo.objects.filter(pk=photo_id).exclude(image="").first()
        if found is None or photo is None:
            return False
        if found.blur and not found.unblurred_image:
            with photo.image.open("rb") as stored:
                original = stored.read()
            with photo.thumbnail.open("rb") as stored:
                found.unblurred_thumbnail.save(generated_name(), ContentFile(stored.read()), save=False)
            found.unblurred_image.save(generated_name(), ContentFile(original), save=False)
            display = blurred_pixels(Image.open(io.BytesIO(original)), found.boxes)
            image, thumbnail = _encode(display), _thumbnail(display)
        elif not found.blur and found.unblurred_image:
            with found.unblurred_image.open("rb") as stored:
                image = stored.read()
            with found.unblurred_thumbnail.open("rb") as stored:
                thumbnail = stored.read()
            found.unblurred_image, found.unblurred_thumbnail = "", ""  # their files go on commit
        else:
            return False
        name = generated_name()
        photo.image.save(name, ContentFile(image), save=False)
        photo.thumbnail.save(name, ContentFile(thumbnail), save=False)
        photo.blurred_thumbnail = ""  # a sensitive photo's blurred thumbnail is made again from the new one
        photo.save(update_fields=["image", "thumbnail", "blurred_thumbnail", "updated_at"])
        found.save(update_fields=["unblurred_image", "unblurred_thumbnail"])
        sensitive.photo_blur_refresh(photo=photo)
        # Tag explanations are drawn over the whole display copy: drawn again from the new one when asked.
        for photo_tag in PhotoTag.objects.filter(photo_id=photo_id).exclude(explanation=""):
            photo_tag.explanation = ""  # its file goes on commit (django-cleanup)
            photo_tag.save(update_fields=["explanation"])
    return True
