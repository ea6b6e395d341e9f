"""Writes of the social domain: each function validates, then changes state in one transaction."""

import logging
import re
import unicodedata
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from photos.imaging import generated_name
from photos.models import (
    Block,
    Comment,
    Follow,
    Like,
    Notification,
    Photo,
    PhotoSearchTerm,
    PhotoTag,
    Tag,
    User,
    originals_storage,
)
from photos.notifications import services as notifications
from photos.processing.checks import upload_check
from photos.processing.services import decode_limits, photo_processing_queue
from photos.search.index import index_photo, photo_search_document_refresh, tag_evidence

logger = logging.getLogger(__name__)

# A hashtag is a word after "#": letters, digits, underscores and the combining marks that may
# follow a letter (``e`` + U+0301) until the caption is normalised. Its length is checked only
# after normalising, because folding can lengthen it (``ß`` -> ``ss``, ``ﬃ`` -> ``ffi``).
HASHTAG_RE = re.compile(r"(?<![\w&])#((?:\w|[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])+)")
HASHTAG_MAX_LENGTH = 64  # Tag.name


def hashtag_normalise(text: str) -> str:
    """Return the one spelling of a hashtag: NFKC, case-folded, NFKC again (Unicode's NFKC_Casefold).

    Compatibility forms and case meet (``ﬃ``/``ffi``, ``Straße``/``strasse``, ``e`` + U+0301/``é``);
    accents stay, so the tag reads as typed. Search folds tag names further (photos.search.text),
    so ``#Straße`` is found by ``strasse`` and ``#Café`` by ``cafe``.
    """
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def hashtags_in(caption: str) -> list[str]:
    """Return the distinct normalised hashtags of a caption, in order of appearance.

    A hashtag longer than a tag name once normalised is not a tag and is left out: cutting it
    would make a tag of a word nobody wrote.
    """
    tags = (hashtag_normalise(tag) for tag in HASHTAG_RE.findall(unicodedata.normalize("NFKC", caption)))
    return list(dict.fromkeys(tag for tag in tags if len(tag) <= HASHTAG_MAX_LENGTH))


def _hashtags_sync(photo: Photo) -> None:
    wanted = hashtags_in(photo.caption)
    photo.photo_tags.filter(source=PhotoTag.Source.HASHTAG).exclude(tag__name__in=wanted).delete()
    existing = set(photo.photo_tags.filter(source=PhotoTag.Source.HASHTAG).values_list("tag__name", flat=True))
    for name in wanted:
        if name not in existing:
            tag, _ = Tag.objects.get_or_create(name=name)
            PhotoTag.objects.create(photo=photo, tag=tag, source=PhotoTag.Source.HASHTAG, confidence=1.0)
    photo_search_document_refresh(photo.pk)


def photo_create(
    *,
    owner: User,
    image: BinaryIO,
    caption: str = "",
    visibility: str = Photo.Visibility.PUBLIC,
    alt_text: str = "",
) -> Photo:
    """Check an upload without decoding it, keep it as the photo's original, and queue its processing.

    The photo is ``processing`` until a worker has decoded it once, made its copies and tagged it
    (photos.processing). A refused upload leaves no row and no file: what the bytes, headers and
    structure can tell is checked before anything is written, and a file written before a failed
    commit is deleted.
    """
    photo = Photo(owner=owner, caption=caption, visibility=visibility, status=Photo.Status.PROCESSING)
    _alt_text_set(photo, alt_text)
    # The owner is the signed-in person, a loaded row: checking that it exists would cost a query.
    photo.full_clean(exclude=["image", "thumbnail", "original", "owner"])
    limits = decode_limits()
    del limits["max_decode_seconds"]  # nothing is decoded here
    upload = upload_check(image, **limits)
    try:
        with transaction.atomic():
            photo.original.save(generated_name(upload.extension), ContentFile(upload.data), save=False)
            _photo_insert_with_hashtags(photo)
            # Mentions in the caption are notified once the photo is processed and others may see it.
            transaction.on_commit(lambda: photo_processing_queue(photo_id=photo.pk))
    except BaseException:
        if photo.original.name:
            originals_storage().delete(photo.original.name)
        raise
    return photo


def _photo_insert_with_hashtags(photo: Photo) -> None:
    """Insert a new photo with its hashtags and search index, built in memory.

    What ``_hashtags_sync`` reads back and rebuilds for an existing photo is known here before
    the insert: the upload runs two queries, plus two for hashtags and one for caption words.
    The photo's ``photo_tags`` are left loaded, so the answer needs no query to list them.
    """
    names = hashtags_in(photo.caption)
    tags: dict[str, Tag] = {}
    if names:
        # Another upload may create the same new tag at once: let the database keep one.
        Tag.objects.bulk_create([Tag(name=name) for name in names], ignore_conflicts=True)
        tags = Tag.objects.in_bulk(names, field_name="name")
    hashtag = PhotoTag.Source.HASHTAG
    photo_tags = [PhotoTag(photo=photo, tag=tags[name], source=hashtag, confidence=1.0) for name in names]
    terms = index_photo(photo, [tag_evidence(photo_tag) for photo_tag in photo_tags])
    photo.save()
    PhotoTag.objects.bulk_create(photo_tags)
    for term in terms:
        term.created_at = photo.created_at  # set by the insert
    PhotoSearchTerm.objects.bulk_create(terms)
    # As a prefetch would leave them (in the model's order: confidence, then name).
    loaded = photo.photo_tags.all()
    loaded._result_cache = sorted(photo_tags, key=lambda photo_tag: photo_tag.tag.name)
    loaded._prefetch_done = True
    photo._prefetched_objects_cache = {"photo_tags": loaded}


def _delete_files(*names: str) -> None:
    # Only for files written before a refused commit: no row ever named them, so no signal fires.
    for name in names:
        if name:
            default_storage.delete(name)


def _alt_text_set(photo: Photo, alt_text: str) -> None:
    # The owner's words, even the same as the draft: from now on no retag replaces them. Empty
    # hands the photo back to the worker's draft at its next tagging.
    photo.alt_text = alt_text.strip()
    photo.alt_text_source = Photo.AltTextSource.OWNER if photo.alt_text else Photo.AltTextSource.NONE


def photo_update(
    *, photo: Photo, caption: str | None = None, visibility: str | None = None, alt_text: str | None = None
) -> Photo:
    """Change a photo's caption (re-reading its hashtags, notifying newly mentioned people), visibility
    and/or alt text (then the owner's own)."""
    before = photo.caption
    if caption is not None:
        photo.caption = caption
    if visibility is not None:
        photo.visibility = visibility
    if alt_text is not None:
        _alt_text_set(photo, alt_text)
    photo.full_clean(exclude=["image", "thumbnail", "original"])
    with transaction.atomic():
        photo.save(update_fields=["caption", "visibility", "alt_text", "alt_text_source", "updated_at"])
        if caption is not None:
            _hashtags_sync(photo)
            notifications.mentions_notify_on_commit(author=photo.owner, photo=photo, text=photo.caption, before=before)
    return photo


def photo_delete(*, photo: Photo) -> None:
    """Delete a photo; its files (image, thumbnail, heat maps) go once the deletion is committed.

    django_cleanup deletes them, as it does for every deleted row and replaced file, whichever
    way the row goes (admin, cascade, queryset); ``manage.py media_gc`` collects any it missed.
    """
    with transaction.atomic():
        photo.delete()


def photos_hide(*, photo_ids: list[int], hidden: bool = True) -> int:
    """Hide (or show again) photos for moderation; return how many changed."""
    return Photo.objects.filter(pk__in=photo_ids).exclude(is_hidden=hidden).update(is_hidden=hidden)


def _blocked_between(a: User, b: User) -> bool:
    return Block.objects.filter(Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a)).exists()


def follow_create(*, follower: User, followee: User) -> Follow:
    """Follow someone; a private account's follow stays pending until it is approved."""
    if follower.pk == followee.pk:
        raise ValidationError("You cannot follow yourself.")
    if _blocked_between(follower, followee):
        raise ValidationError("You cannot follow this account.")
    status = Follow.Status.PENDING if followee.is_private else Follow.Status.ACCEPTED
    with transaction.atomic():
        follow, created = Follow.objects.get_or_create(
            follower=follower, followee=followee, defaults={"status": status}
        )
        if created:
            kind = Notification.Kind.FOLLOW_REQUEST if status == Follow.Status.PENDING else Notification.Kind.FOLLOW
            notifications.notification_create_on_commit(recipient_id=followee.pk, actor=follower, kind=kind)
    return follow


def follow_delete(*, follower: User, followee: User) -> bool:
    """Unfollow (or withdraw a request); return whether anything was removed."""
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(follower=follower, followee=followee).delete()
        notifications.follow_notifications_delete(follower=follower, followee=followee)
    return bool(deleted)


def follow_request_approve(*, owner: User, follower: User) -> Follow:
    """Let ``follower`` see ``owner``'s followers-only photos: accept their pending request."""
    with transaction.atomic():
        # Locked so that a withdrawal or a block racing the approval cannot be overwritten.
        follow = Follow.objects.select_for_update().filter(follower=follower, followee=owner).first()
        if follow is None or follow.status != Follow.Status.PENDING:
            raise ValidationError(f"There is no pending follow request from {follower.username}.")
        follow.status = Follow.Status.ACCEPTED
        follow.full_clean()
        follow.save(update_fields=["status"])
        notifications.follow_request_notification_settle(owner=owner, follower=follower)
        notifications.notification_create_on_commit(
            recipient_id=follower.pk, actor=owner, kind=Notification.Kind.FOLLOW_APPROVED
        )
    return follow


def follow_request_decline(*, owner: User, follower: User) -> bool:
    """Refuse a pending request to follow ``owner``; return whether there was one."""
    with transaction.atomic():
        deleted, _ = Follow.objects.filter(follower=follower, followee=owner, status=Follow.Status.PENDING).delete()
        notifications.follow_notifications_delete(follower=follower, followee=owner)
    return bool(deleted)


def block_create(*, blocker: User, blocked: User) -> Block:
    """Block someone: each stops seeing the other, and follows (and requests) both ways end."""
    if blocker.pk == blocked.pk:
        raise ValidationError("You cannot block yourself.")
    block = Block(blocker=blocker, blocked=blocked)
    with transaction.atomic():
        Follow.objects.filter(Q(follower=blocker, followee=blocked) | Q(follower=blocked, followee=blocker)).delete()
        existing = Block.objects.filter(blocker=blocker, blocked=blocked).first()
        if existing is not None:
            return existing
        block.full_clean()
        block.save()
    return block


def block_delete(*, blocker: User, blocked: User) -> bool:
    """Unblock someone; return whether they were blocked. Follows ended by the block stay ended."""
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return bool(deleted)


def like_create(*, user: User, photo: Photo) -> bool:
    """Like a photo once; return whether a new like was recorded."""
    with transaction.atomic():
        _, created = Like.objects.get_or_create(user=user, photo=photo)
        if created:
            Photo.objects.filter(pk=photo.pk).update(like_count=F("like_count") + 1)
            notifications.notification_create_on_commit(
                recipient_id=photo.owner_id, actor=user, kind=Notification.Kind.LIKE, photo=photo
            )
    return created


def like_delete(*, user: User, photo: Photo) -> bool:
    """Remove a like; return whether there was one."""
    with transaction.atomic():
        deleted, _ = Like.objects.filter(user=user, photo=photo).delete()
        if deleted:
            Photo.objects.filter(pk=photo.pk, like_count__gt=0).update(like_count=F("like_count") - 1)
            notifications.like_notification_delete(user=user, photo=photo)
    return bool(deleted)


def comment_create(*, author: User, photo: Photo, text: str) -> Comment:
    """Add a comment to a photo the author may see; its owner and the people it mentions are notified."""
    comment = Comment(author=author, photo=photo, text=text.strip())
    comment.full_clean()
    with transaction.atomic():
        comment.save()
        Photo.objects.filter(pk=photo.pk).update(comment_count=F("comment_count") + 1)
        notifications.notification_create_on_commit(
            recipient_id=photo.owner_id, actor=author, kind=Notification.Kind.COMMENT, photo=photo, comment=comment
        )
        notifications.mentions_notify_on_commit(author=author, photo=photo, text=comment.text, comment=comment)
    return comment


def photo_explanation_request(*, photo: Photo) -> str:
    """Ask a worker to draw where the CNN found each auto tag; return ``ready`` or ``queued``.

    At most one explanation per photo is pending at a time: a request while one is queued or
    running answers ``queued`` without queuing another.
    """
    if photo.status != Photo.Status.TAGGED:
        raise ValidationError("This photo has not been tagged yet; try again once its tags appear.")
    if not photo.photo_tags.filter(source=PhotoTag.Source.AUTO, explanation="").exists():
        return "ready"
    # Imported here, as for tagging: a task module is loaded by the worker, not by every web import.
    from photos.tagging import photo_explanation_claim
    from recognition.tasks import explain_photo

    if photo_explanation_claim(photo_id=photo.pk):
        photo_id = photo.pk
        transaction.on_commit(lambda: explain_photo.delay(photo_id))
    return "queued"


def comment_delete(*, comment: Comment) -> None:
    """Delete a comment and take it off its photo's counter."""
    with transaction.atomic():
        comment.delete()
        Photo.objects.filter(pk=comment.photo_id, comment_count__gt=0).update(comment_count=F("comment_count") - 1)


def photo_counters_refresh(*, photo_ids: list[int]) -> None:
    """Recount the likes and comments of these photos from their rows (after deletions in bulk)."""
    likes = Like.objects.filter(photo=OuterRef("pk")).order_by().values("photo").annotate(n=Count("pk")).values("n")
    comments = (
        Comment.objects.filter(photo=OuterRef("pk")).order_by().values("photo").annotate(n=Count("pk")).values("n")
    )
    Photo.objects.filter(pk__in=photo_ids).update(
        like_count=Coalesce(Subquery(likes), 0), comment_count=Coalesce(Subquery(comments), 0)
    )


def interactions_delete(*, rows: QuerySet[Like] | QuerySet[Comment]) -> int:
    """Delete these likes or comments and recount their photos; return how many were deleted."""
    with transaction.atomic():
        photo_ids = list(rows.values_list("photo_id", flat=True).distinct())
        deleted, _ = rows.delete()
        photo_counters_refresh(photo_ids=photo_ids)
    return deleted
