"""Reads of moderation: what a person may report, and the queue staff work through."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from photos.models import Comment, Photo, User
from photos.moderation.models import ModerationCase
from photos.selectors import Viewer, _comments_shown, photo_get, photos_visible_to, user_get

TARGET_KINDS = ("photo", "comment", "account")


def report_target_get(*, viewer: Viewer, kind: str, key: str | int) -> Photo | Comment | User:
    """Return the photo (by id), comment (by id) or account (by username) ``viewer`` may see, or raise Http404.

    One can report only what one is shown: the same rule as every page, so a report never tells
    anyone that something hidden from them exists.
    """
    if kind == "photo":
        return photo_get(viewer=viewer, photo_id=int(key))
    if kind == "comment":
        comments = _comments_shown(Comment.objects.select_related("author", "photo"), viewer)
        return get_object_or_404(comments, pk=int(key), photo__in=photos_visible_to(viewer))
    if kind == "account":
        return user_get(viewer=viewer, username=str(key))
    raise ValueError(f"unknown report target kind {kind!r}")


def moderation_queue(*, status: str | None = ModerationCase.Status.OPEN) -> QuerySet[ModerationCase]:
    """Return the cases (open ones by default), most-reported first, then the most recently reported.

    One row per reported thing (its reports gather in the case), with the target and its owner loaded.
    """
    cases = ModerationCase.objects.all() if status is None else ModerationCase.objects.filter(status=status)
    return cases.select_related(
        "photo__owner", "photo__nudity", "comment__author", "comment__photo", "account"
    ).order_by("-report_count", "-last_reported_at", "-id")
