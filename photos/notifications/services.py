"""Writes of notifications. The social services call these once their own change is committed."""

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from photos.models import Comment, Notification, Photo, User
from photos.notifications.mentions import mentions_in
from photos.selectors import _blocked_user_ids, photos_visible_to

Kind = Notification.Kind


def notification_create(
    *,
    recipient_id: int,
    actor: User,
    kind: str,
    photo: Photo | None = None,
    comment: Comment | None = None,
) -> Notification | None:
    """Tell ``recipient_id`` what ``actor`` did, unless it is their own act or they turned the kind off.

    A like, follow, request, approval or caption mention is recorded once however often it is
    repeated (unlike and like again notifies nobody twice); each comment, and each mention in
    one, is its own notification.
    """
    if recipient_id == actor.pk:
        return None
    kinds_off = User.objects.filter(pk=recipient_id, is_active=True).values_list("notifications_off", flat=True)
    kinds_off = kinds_off.first()
    if kinds_off is None or kind in kinds_off:
        return None
    fields = {"recipient_id": recipient_id, "actor": actor, "kind": kind, "photo": photo, "comment": comment}
    if comment is not None:
        return Notification.objects.create(**fields)
    notification, _ = Notification.objects.get_or_create(**fields)
    return notification


def notice_create(*, recipient_id: int, message: str) -> Notification | None:
    """Tell ``recipient_id`` something from the site itself (moderation): no actor, never turned off."""
    if not User.objects.filter(pk=recipient_id, is_active=True).exists():
        return None
    return Notification.objects.create(recipient_id=recipient_id, actor=None, kind=Kind.MODERATION, message=message)


def notice_create_on_commit(*, recipient_id: int, message: str) -> None:
    """Create the notice once the surrounding transaction commits."""
    transaction.on_commit(lambda: notice_create(recipient_id=recipient_id, message=message))


def notification_create_on_commit(**fields) -> None:
    """Create the notification once the surrounding transaction commits (never for a rolled-back act)."""
    transaction.on_commit(lambda: notification_create(**fields))


def like_notification_delete(*, user: User, photo: Photo) -> None:
    """Take back the notification of a like that was withdrawn."""
    Notification.objects.filter(kind=Kind.LIKE, actor=user, photo=photo).delete()


def follow_notifications_delete(*, follower: User, followee: User) -> None:
    """Take back the follow or request notification of a follow that ended, was withdrawn or declined."""
    Notification.objects.filter(
        recipient=followee, actor=follower, kind__in=[Kind.FOLLOW, Kind.FOLLOW_REQUEST], photo=None
    ).delete()


def follow_request_notification_settle(*, owner: User, follower: User) -> None:
    """Turn the answered request into a plain follow notification: nothing is left to approve."""
    Notification.objects.filter(recipient=owner, actor=follower, kind=Kind.FOLLOW_REQUEST).update(kind=Kind.FOLLOW)


def mentions_notify(*, author: User, photo: Photo, text: str, comment: Comment | None = None, before: str = "") -> int:
    """Notify the people ``text`` mentions that ``before`` did not; return how many were notified.

    Nobody is notified who cannot see the photo, who blocks the author or whom the author blocks.
    """
    already = set(mentions_in(before))
    names = [name for name in mentions_in(text) if name not in already]
    if not names:
        return 0
    people = User.objects.alias(lowered=Lower("username")).filter(lowered__in=names, is_active=True)
    blocking, blocked_by = _blocked_user_ids(author)
    people = people.exclude(pk=author.pk).exclude(pk__in=blocking).exclude(pk__in=blocked_by)
    if comment is not None:
        people = people.exclude(pk=photo.owner_id)  # the owner is told of every comment already
    notified = 0
    for person in people:
        if photos_visible_to(person).filter(pk=photo.pk).exists():
            notified += bool(
                notification_create(
                    recipient_id=person.pk, actor=author, kind=Kind.MENTION, photo=photo, comment=comment
                )
            )
    return notified


def mentions_notify_on_commit(**fields) -> None:
    """Notify the mentioned people once the caption or comment is committed (nothing queued without a mention)."""
    if set(mentions_in(fields["text"])) - set(mentions_in(fields.get("before", ""))):
        transaction.on_commit(lambda: mentions_notify(**fields))


def notifications_mark_read(*, user: User, up_to_id: int | None = None) -> int:
    """Mark ``user``'s unread notifications read (those up to ``up_to_id`` if given); return how many."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if up_to_id is not None:
        unread = unread.filter(pk__lte=up_to_id)
    return unread.update(read_at=timezone.now())


def notification_settings_update(*, user: User, kinds_off: list[str]) -> User:
    """Turn off the notification kinds in ``kinds_off`` (and every other kind back on)."""
    valid = set(Kind.values) - {Kind.MODERATION}
    user.notifications_off = [kind for kind in Kind.values if kind in set(kinds_off) & valid]
    user.save(update_fields=["notifications_off"])
    return user
