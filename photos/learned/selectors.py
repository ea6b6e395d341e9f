"""Reads of learned tags: only their owner sees them; every photo listed goes through photos_visible_to."""

from django.db.models import QuerySet
from django.http import Http404

from photos.learned.models import LearnedTag, LearnedTagExample
from photos.models import Photo, User
from photos.selectors import photos_visible_to
from recognition.learned_heads import MIN_EXAMPLES

# The example picker shows this many of the owner's latest analysed photos.
PICKER_SIZE = 120


def learned_tags_of(owner: User) -> QuerySet[LearnedTag]:
    """Return the owner's learned tags with their tag and current version."""
    return LearnedTag.objects.filter(owner=owner).select_related("tag", "current")


def learned_tag_get(*, user: User, learned_tag_id: int) -> LearnedTag:
    """Return the user's learned tag; 404 for anyone else's (its existence is not theirs to learn)."""
    learned = learned_tags_of(user).filter(pk=learned_tag_id).first() if user.is_authenticated else None
    if learned is None:
        raise Http404("No such learned tag.")
    return learned


def example_candidates(owner: User) -> QuerySet[Photo]:
    """Return the owner's photos that can be examples: analysed (they have an embedding), newest first."""
    return (
        photos_visible_to(owner)
        .filter(owner=owner, status=Photo.Status.TAGGED, embedding__isnull=False)
        .order_by("-created_at", "-id")[:PICKER_SIZE]
    )


def _in_order(viewer: User, ids: list[int]) -> list[Photo]:
    photos = photos_visible_to(viewer).filter(owner=viewer, pk__in=ids).in_bulk()
    return [photos[pk] for pk in ids if pk in photos]


def learned_tag_preview(learned: LearnedTag) -> dict[str, list[Photo]]:
    """Return the photos its current version would tag and those it is unsure about, best first."""
    version = learned.current
    if version is None:
        return {"would_tag": [], "unsure": []}
    return {
        "would_tag": _in_order(learned.owner, version.would_tag),
        "unsure": _in_order(learned.owner, version.unsure),
    }


def learned_tag_examples(learned: LearnedTag) -> QuerySet[LearnedTagExample]:
    """Return the tag's examples whose photos its owner still sees (all of them), newest first."""
    visible = photos_visible_to(learned.owner).filter(owner=learned.owner)
    return (
        LearnedTagExample.objects.filter(learned_tag=learned, photo__in=visible)
        .select_related("photo")
        .order_by("-created_at", "-id")
    )


def min_examples() -> int:
    return MIN_EXAMPLES
