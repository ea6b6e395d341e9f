"""Writes of the owner's tag corrections: confirm, remove or add a tag on one of their photos.

Each correction changes the photo's PhotoTag rows, records the owner's verdict as a TagCorrection
(the tombstone of a removed tag; see ``photos.corrections.models``) and rebuilds the photo's search
index, in one transaction that first locks the photo: the worker's re-tagging takes the same lock
before it reads the verdicts (``auto_tags_drop_corrected``), so the two never interleave.
"""

import unicodedata
from collections.abc import Sequence
from types import SimpleNamespace

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from photos.accessibility.services import photos_alt_text_draft
from photos.corrections.models import TagCorrection
from photos.corrections.selectors import corrected_tag_names, may_correct_tags, removed_tag_names
from photos.models import Photo, PhotoTag, Tag, User
from photos.search.index import photo_search_document_refresh
from photos.search.text import text_keys

TAG_NAME_MAX_LENGTH = 64  # Tag.name
NOT_OWNER = "Only the owner can correct this photo's tags."
# Sources whose rows the owner may take off: a hashtag's tag belongs to the caption.
REMOVABLE = (PhotoTag.Source.AUTO, PhotoTag.Source.LEARNED, PhotoTag.Source.CONFIRMED, PhotoTag.Source.USER)
# Tags a model gave, that the owner may confirm: the CNN's, and a learned tag's (photos.learned).
CONFIRMABLE = (PhotoTag.Source.AUTO, PhotoTag.Source.LEARNED)


class NoSuchTag(Exception):
    """The photo carries no tag of that name."""

    def __init__(self, name: str) -> None:
        super().__init__(f"This photo has no tag named {name!r}.")
        self.message = str(self)


def tag_name_normalise(name: str) -> str:
    """Return the one spelling of a tag name typed by a person: as a hashtag's, words single-spaced.

    ``"  Latte   Art "`` -> ``"latte art"``, ``"#Cat"`` -> ``"cat"``; raise ValidationError saying
    what is wrong when nothing searchable is left or the name is too long.
    """
    name = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name or "").casefold())
    name = " ".join(name.replace("\x00", " ").split()).lstrip("#").strip()
    if "/" in name:
        # A tag's name is a segment of its URLs (/tags/<name>/, .../tags/<name>/confirm/).
        raise ValidationError({"name": ["A tag cannot contain “/”."]})
    if not text_keys(name):
        raise ValidationError({"name": ["A tag needs at least one letter or digit."]})
    if len(name) > TAG_NAME_MAX_LENGTH:
        too_long = f"A tag has at most {TAG_NAME_MAX_LENGTH} characters; this one has {len(name)}."
        raise ValidationError({"name": [too_long]})
    return name


def _locked(photo: Photo, actor: User) -> None:
    if not may_correct_tags(user=actor, photo=photo):
        raise PermissionDenied(NOT_OWNER)
    # Serialise with the worker's re-tagging and with other corrections of the same photo.
    Photo.objects.select_for_update().filter(pk=photo.pk).values_list("pk").first()


def _rows(photo: Photo, name: str) -> dict[str, PhotoTag]:
    rows = PhotoTag.objects.filter(photo_id=photo.pk, tag__name=name).select_related("tag")
    return {row.source: row for row in rows}


def _verdict(photo: Photo, tag: Tag, action: str, about: PhotoTag | None) -> None:
    TagCorrection.objects.update_or_create(
        photo=photo,
        tag=tag,
        defaults={
            "action": action,
            "source": about.source if about else "",
            "confidence": about.confidence if about else None,
            # A learned tag's rule is its "why" in words, not a taxonomy rule: the rule statistics skip it.
            "rule": about.rule if about and not about.is_learned else "",
            "taxonomy_version": about.taxonomy_version if about else "",
        },
    )


def photo_tag_confirm(*, actor: User, photo: Photo, name: str) -> PhotoTag:
    """Confirm the CNN's tag ``name`` on ``photo``: it becomes ``confirmed`` and ranks above CNN tags.

    Confirming a tag that already stands as the owner's (confirmed or added) changes nothing;
    raise NoSuchTag when the photo has no such tag (a hashtag is not the CNN's to confirm).
    """
    name = tag_name_normalise(name)
    with transaction.atomic():
        _locked(photo, actor)
        rows = _rows(photo, name)
        if owned := rows.get(PhotoTag.Source.CONFIRMED) or rows.get(PhotoTag.Source.USER):
            return owned
        auto = next((rows[source] for source in CONFIRMABLE if source in rows), None)
        if auto is None:
            raise NoSuchTag(name)
        learned = auto.source == PhotoTag.Source.LEARNED
        PhotoTag.objects.filter(pk__in=[row.pk for source, row in rows.items() if source in CONFIRMABLE]).exclude(
            pk=auto.pk
        ).delete()
        auto.source = PhotoTag.Source.CONFIRMED
        auto.save(update_fields=["source"])
        _verdict(photo, auto.tag, TagCorrection.Action.CONFIRMED, auto)
        photo_search_document_refresh(photo.pk)
        if learned or auto.is_learned:
            _learned_feedback(photo, auto.tag, positive=True)
    return auto


def photo_tag_remove(*, actor: User, photo: Photo, name: str) -> None:
    """Take the tag ``name`` off ``photo`` and leave a tombstone, so re-tagging never brings it back.

    A tag that only a hashtag in the caption gives cannot be removed here (edit the caption);
    raise NoSuchTag when the photo has no such tag.
    """
    name = tag_name_normalise(name)
    with transaction.atomic():
        _locked(photo, actor)
        rows = _rows(photo, name)
        removable = [rows[source] for source in REMOVABLE if source in rows]
        if not removable:
            if PhotoTag.Source.HASHTAG in rows:
                raise ValidationError(
                    {"name": [f"The tag {name!r} comes from a hashtag in the caption: edit the caption to remove it."]}
                )
            raise NoSuchTag(name)
        PhotoTag.objects.filter(pk__in=[row.pk for row in removable]).delete()
        # The verdict is about the CNN's tag when there was one: that is what the rule statistics count.
        _verdict(photo, removable[0].tag, TagCorrection.Action.REMOVED, removable[0])
        photo_search_document_refresh(photo.pk)
        if any(row.source == PhotoTag.Source.LEARNED or row.is_learned for row in removable):
            _learned_feedback(photo, removable[0].tag, positive=False)
        _alt_text_redraft(photo)  # a machine-written description must not name what the owner removed


def photo_tag_add(*, actor: User, photo: Photo, name: str) -> tuple[PhotoTag, bool]:
    """Put the tag ``name`` on ``photo`` as the owner's (source ``user``: manual); return it and whether it is new.

    Adding a tag the CNN already gave confirms it; adding one the owner removed before lifts its
    tombstone. A new tag name takes its categories from the taxonomy rule that emits it, if any.
    """
    name = tag_name_normalise(name)
    with transaction.atomic():
        _locked(photo, actor)
        rows = _rows(photo, name)
        if owned := rows.get(PhotoTag.Source.CONFIRMED) or rows.get(PhotoTag.Source.USER):
            return owned, False
        if any(source in rows for source in CONFIRMABLE):
            return photo_tag_confirm(actor=actor, photo=photo, name=name), False
        tag = _tag_named(name)
        row = PhotoTag.objects.create(photo=photo, tag=tag, source=PhotoTag.Source.USER, confidence=1.0)
        _verdict(photo, tag, TagCorrection.Action.ADDED, None)
        photo_search_document_refresh(photo.pk)
    return row, True


def _learned_feedback(photo: Photo, tag: Tag, *, positive: bool) -> None:
    """The owner's verdict on a learned tag is a new example for it (it retrains, debounced)."""
    from photos.learned.services import learned_feedback_record

    learned_feedback_record(photo=photo, tag=tag, positive=positive)


def _tag_named(name: str) -> Tag:
    from recognition import taxonomy  # the rules file only: no TensorFlow

    existing = Tag.objects.filter(name=name).first()
    if existing is not None:
        return existing
    rule = taxonomy.get_taxonomy().rule_for_tag(name)
    tag, _ = Tag.objects.get_or_create(name=name, defaults={"categories": list(rule.categories) if rule else []})
    return tag


def auto_tags_drop_corrected(
    results: Sequence[tuple[Photo, Sequence]],
) -> tuple[list[tuple[Photo, list]], list[tuple[Photo, list]]]:
    """Return the CNN's predictions per photo as the owner's verdicts leave them (call in a transaction).

    Two lists: the tags to store, without any the owner ruled on (a removed tag's tombstone keeps it
    off for good; a confirmed or added one already stands as the owner's); and the tags that describe
    the photo (for its alt text), without only the removed ones. The photos are locked first, so a
    correction made meanwhile is either seen here or waits.
    """
    photo_ids = sorted(photo.pk for photo, _ in results)
    list(Photo.objects.select_for_update().filter(pk__in=photo_ids).order_by("pk").values_list("pk", flat=True))
    corrected = corrected_tag_names(photo_ids)
    removed = removed_tag_names(photo_ids)
    store = [(photo, [p for p in tags if p.name not in corrected.get(photo.pk, ())]) for photo, tags in results]
    describe = [(photo, [p for p in tags if p.name not in removed.get(photo.pk, ())]) for photo, tags in results]
    return store, describe


def _alt_text_redraft(photo: Photo) -> None:
    """Draft the photo's alt text again from the CNN tags left standing (an owner-written text stays)."""
    standing = PhotoTag.objects.filter(
        photo_id=photo.pk, source__in=[PhotoTag.Source.AUTO, PhotoTag.Source.CONFIRMED]
    ).select_related("tag")
    tags = [
        SimpleNamespace(name=pt.tag.name, confidence=pt.confidence, classes=pt.classes, categories=pt.tag.categories)
        for pt in standing
    ]
    photos_alt_text_draft(results=[(photo, tags)])
