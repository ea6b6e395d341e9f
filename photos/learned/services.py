"""Writes of learned tags from the web side: create one from examples, switch it on or off, feedback, delete.

Training and tagging run in the worker (``photos.learned.training``); these queue them on commit.
"""

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from photos.learned.models import LearnedTag, LearnedTagExample
from photos.models import Photo, PhotoTag, Tag, User
from photos.search.index import photos_search_index_refresh
from photos.similar.models import PhotoEmbedding
from recognition.learned_heads import MIN_EXAMPLES

NOT_OWNER = "Only its owner can change a learned tag."
MAX_EXAMPLES = 500


def _tag_named(name: str) -> Tag:
    from photos.corrections.services import _tag_named as named

    return named(name)


def _examples_check(owner: User, photo_ids: Sequence[int], *, minimum: int = MIN_EXAMPLES) -> list[int]:
    """Return the distinct example ids, or raise ValidationError saying what is wrong with them."""
    ids = list(dict.fromkeys(int(pk) for pk in photo_ids))
    if len(ids) < minimum:
        raise ValidationError({"examples": [f"Pick at least {MIN_EXAMPLES} example photos; you picked {len(ids)}."]})
    if len(ids) > MAX_EXAMPLES:
        raise ValidationError({"examples": [f"Pick at most {MAX_EXAMPLES} example photos; you picked {len(ids)}."]})
    mine = set(Photo.objects.filter(owner=owner, pk__in=ids).values_list("pk", flat=True))
    # A photo that is not yours is refused the same whether or not you may see it: nothing leaks.
    if foreign := [pk for pk in ids if pk not in mine]:
        raise ValidationError(
            {"examples": [f"Examples must be your own photos; {_ids(foreign)} {_is_are(foreign)} not yours."]}
        )
    from recognition.efficientnet_lite import MODEL_VERSION

    embedded = set(
        PhotoEmbedding.objects.filter(photo_id__in=ids, model_version=MODEL_VERSION).values_list("photo_id", flat=True)
    )
    if missing := [pk for pk in ids if pk not in embedded]:
        raise ValidationError(
            {
                "examples": [
                    f"{_ids(missing).capitalize()} {_is_are(missing)} not analysed yet (still processing, or failed); "
                    "pick photos once they are tagged."
                ]
            }
        )
    return ids


def _ids(ids: Sequence[int]) -> str:
    return ("photo " if len(ids) == 1 else "photos ") + ", ".join(str(pk) for pk in ids[:10])


def _is_are(ids: Sequence[int]) -> str:
    return "is" if len(ids) == 1 else "are"


def learned_tag_create(*, owner: User, name: str, photo_ids: Sequence[int]) -> LearnedTag:
    """Create a learned tag called ``name`` from ``photo_ids`` (at least 5 of the owner's analysed photos).

    Training is queued once committed; the tag tags nothing until its owner switches it on.
    """
    from photos.corrections.services import tag_name_normalise

    name = tag_name_normalise(name)
    ids = _examples_check(owner, photo_ids)
    with transaction.atomic():
        tag = _tag_named(name)
        if LearnedTag.objects.filter(owner=owner, tag=tag).exists():
            raise ValidationError({"name": [f"You already have a learned tag named “{name}”."]})
        learned = LearnedTag(owner=owner, tag=tag)
        learned.full_clean(validate_constraints=False)
        learned.save()
        LearnedTagExample.objects.bulk_create(LearnedTagExample(learned_tag=learned, photo_id=pk) for pk in ids)
        transaction.on_commit(lambda: _train_queue(learned.pk))
    return learned


def _train_queue(learned_tag_id: int, *, countdown: float = 0) -> None:
    from photos.learned.tasks import train_learned_tag

    train_learned_tag.apply_async((learned_tag_id,), countdown=countdown)


def _apply_queue(learned_tag_id: int) -> None:
    from photos.learned.tasks import apply_learned_tag

    apply_learned_tag.delay(learned_tag_id)


def _owned(actor: User, learned: LearnedTag) -> None:
    if learned.owner_id != actor.pk:
        raise PermissionDenied(NOT_OWNER)


def learned_tag_activate(*, actor: User, learned_tag: LearnedTag, active: bool = True) -> LearnedTag:
    """Switch a learned tag on (the worker tags the owner's photos) or off (its tags come off now)."""
    _owned(actor, learned_tag)
    if active and learned_tag.current_id is None:
        raise ValidationError("This tag has not finished learning yet; switch it on once it has.")
    with transaction.atomic():
        LearnedTag.objects.filter(pk=learned_tag.pk).update(is_active=active, updated_at=timezone.now())
        if active:
            transaction.on_commit(lambda: _apply_queue(learned_tag.pk))
        else:
            learned_tags_remove_from_photos(learned_tag)
    learned_tag.refresh_from_db()
    return learned_tag


def learned_tags_remove_from_photos(learned_tag: LearnedTag) -> list[int]:
    """Take the learned tag's own tags (not those its owner confirmed) off their photos; return those photos."""
    rows = PhotoTag.objects.filter(
        source=PhotoTag.Source.LEARNED, tag_id=learned_tag.tag_id, photo__owner_id=learned_tag.owner_id
    )
    photo_ids = list(rows.values_list("photo_id", flat=True))
    if photo_ids:
        PhotoTag.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).delete()
        photos_search_index_refresh(photo_ids)
    return photo_ids


def learned_tag_delete(*, actor: User, learned_tag: LearnedTag) -> None:
    """Delete a learned tag, its versions and examples, and take the tags it gave off the photos."""
    _owned(actor, learned_tag)
    with transaction.atomic():
        learned_tags_remove_from_photos(learned_tag)
        learned_tag.delete()


def _retrain_later(learned_tag_id: int) -> None:
    """Debounce: each piece of feedback pushes the retraining back; only the last queued task does it."""
    delay = settings.LEARNED_TAG_RETRAIN_SECONDS
    LearnedTag.objects.filter(pk=learned_tag_id).update(retrain_due_at=timezone.now() + timedelta(seconds=delay))
    transaction.on_commit(lambda: _train_queue(learned_tag_id, countdown=delay), robust=True)


def learned_tag_example_add(*, actor: User, learned_tag: LearnedTag, photo: Photo, positive: bool = True) -> bool:
    """Add ``photo`` as an example (or a counter-example) of the learned tag; return whether it was new."""
    _owned(actor, learned_tag)
    _examples_check(actor, [photo.pk], minimum=1)
    with transaction.atomic():
        _, created = LearnedTagExample.objects.update_or_create(
            learned_tag=learned_tag, photo=photo, defaults={"positive": positive}
        )
        _retrain_later(learned_tag.pk)
    return created


def learned_feedback_record(*, photo: Photo, tag: Tag, positive: bool) -> None:
    """Record the owner's confirming or removing ``tag`` on ``photo`` as an example, when it is a learned tag.

    Called by ``photos.corrections`` in its transaction; retraining follows, debounced.
    """
    learned = LearnedTag.objects.filter(owner_id=photo.owner_id, tag=tag).first()
    if learned is None:
        return
    origin = LearnedTagExample.Origin.CONFIRMED if positive else LearnedTagExample.Origin.REMOVED
    LearnedTagExample.objects.update_or_create(
        learned_tag=learned, photo=photo, defaults={"positive": positive, "origin": origin}
    )
    _retrain_later(learned.pk)
