"""Writes for alt text: the worker's draft from the CNN's tags, and the owner's acceptance of it.

The owner's own text is set with the rest of the photo (``photos.services.photo_create`` and
``photo_update``); it is never overwritten by a draft.
"""

from collections.abc import Sequence

from django.db.models import Case, Value, When
from django.utils import timezone

from photos.accessibility.alt_text import alt_text_draft
from photos.limits import ALT_TEXT_MAX_LENGTH
from photos.models import Photo


def photos_alt_text_draft(*, results: Sequence[tuple[Photo, Sequence]]) -> int:
    """Draft the alt text of photos from their CNN tags, where the owner has written none; return how many.

    Called by the worker as it stores the tags, inside the same transaction; one query for the batch.
    A retag redrafts a machine-written text; the owner's text stays whatever the network says.
    """
    drafts = {photo.pk: alt_text_draft(tags)[:ALT_TEXT_MAX_LENGTH] for photo, tags in results}
    if not drafts:
        return 0
    return (
        Photo.objects.filter(pk__in=list(drafts))
        .exclude(alt_text_source=Photo.AltTextSource.OWNER)
        .update(
            alt_text=Case(*(When(pk=pk, then=Value(text)) for pk, text in drafts.items())),
            alt_text_source=Case(
                *(
                    When(pk=pk, then=Value(Photo.AltTextSource.AUTO if text else Photo.AltTextSource.NONE))
                    for pk, text in drafts.items()
                )
            ),
        )
    )


def photo_alt_text_accept(*, photo: Photo) -> Photo:
    """Make the drafted alt text the owner's own, as it stands (a later retag no longer replaces it)."""
    if photo.alt_text and photo.alt_text_source == Photo.AltTextSource.AUTO:
        photo.alt_text_source = Photo.AltTextSource.OWNER
        photo.updated_at = timezone.now()
        photo.save(update_fields=["alt_text_source", "updated_at"])
    return photo
