"""Reads of notifications: grouped per (kind, photo), and only what the recipient may still see."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, F, Max, Q, QuerySet, Value, When
from django.db.models.functions import Length, Lower

from photos.models import Comment, Notification, Photo, User
from photos.selectors import _blocked_user_ids, photos_visible_to

Kind = Notification.Kind

VERBS = {
    Kind.LIKE: "liked your photo",
    Kind.COMMENT: "commented on your photo",
    Kind.FOLLOW: "started following you",
    Kind.FOLLOW_REQUEST: "asked to follow you",
    Kind.FOLLOW_APPROVED: "approved your follow request",
    Kind.MENTION: "mentioned you",
}
# Kinds a person cannot turn off: what the site itself tells them.
ALWAYS_ON = {Kind.MODERATION}


@dataclass(frozen=True)
class NotificationGroup:
    """Notifications of one kind about one photo (or about none: follows), as one line."""

    kind: str
    actor: User | None  # who acted last; None for a notice from the site
    others: int  # how many other people did the same
    photo: Photo | None
    comment: Comment | None  # the latest comment, for comments and mentions in comments
    unread: bool
    latest_id: int
    latest_at: datetime
    message: str = ""

    @property
    def text(self) -> str:
        """Return the line as it reads, e.g. ``Ann and 3 others liked your photo``."""
        if self.actor is None:
            return self.message
        others = f" and {self.others} other{'s' if self.others != 1 else ''}" if self.others else ""
        return f"{self.actor.name}{others} {VERBS[self.kind]}"


def notifications_visible(user: User) -> QuerySet[Notification]:
    """Return ``user``'s notifications they may still see.

    Left out: those by people in a block with ``user`` either way or whose account is closed, and those
    about a photo ``user`` can no longer see (made private, hidden, its owner blocked). Deleted photos,
    comments and accounts take their notifications with them.
    """
    blocking, blocked_by = _blocked_user_ids(user)
    return (
        Notification.objects.filter(recipient=user)
        .filter(Q(actor__isnull=True) | Q(actor__is_active=True))
        .exclude(actor_id__in=blocking)
        .exclude(actor_id__in=blocked_by)
        .filter(Q(photo__isnull=True) | Q(photo_id__in=photos_visible_to(user).values("pk")))
    )


def _grouped(notifications: QuerySet[Notification]) -> QuerySet:
    # A notice from the site is a line of its own: nothing to gather it with.
    alone = Case(When(actor__isnull=True, then=F("id")), default=Value(0))
    return notifications.order_by().annotate(alone=alone).values("kind", "photo_id", "alone")


def unread_notification_count(user: User) -> int:
    """Return how many groups (lines of the notifications page) have something unread: one query."""
    unread = notifications_visible(user).filter(read_at__isnull=True)
    return _grouped(unread).distinct().count()


def notification_groups(
    user: User, *, before_id: int | None = None, size: int
) -> tuple[list[NotificationGroup], int | None]:
    """Return a page of ``user``'s notification groups, latest first, and the ``before_id`` of the next page.

    Two queries whatever the page size: the groups, then their latest rows with actor, photo and comment.
    """
    groups = (
        _grouped(notifications_visible(user))
        .annotate(
            latest_id=Max("id"),
            latest_at=Max("created_at"),
            people=Count("actor_id", distinct=True),
            unread=Count("id", filter=Q(read_at__isnull=True)),
        )
        .order_by("-latest_id")
    )
    if before_id is not None:
        groups = groups.filter(latest_id__lt=before_id)
    rows = list(groups[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    latest = Notification.objects.select_related("actor", "photo", "comment").in_bulk(
        [row["latest_id"] for row in rows]
    )
    page = [
        NotificationGroup(
            kind=row["kind"],
            actor=latest[row["latest_id"]].actor,
            others=row["people"] - 1,
            photo=latest[row["latest_id"]].photo,
            comment=latest[row["latest_id"]].comment,
            unread=row["unread"] > 0,
            latest_id=row["latest_id"],
            latest_at=row["latest_at"],
            message=latest[row["latest_id"]].message,
        )
        for row in rows
    ]
    return page, (page[-1].latest_id if more else None)


def mention_candidates(*, viewer: User, prefix: str, limit: int) -> QuerySet[User]:
    """Return active people whose username starts with ``prefix`` (any case), none in a block with ``viewer``."""
    blocking, blocked_by = _blocked_user_ids(viewer)
    return (
        User.objects.filter(is_active=True)
        .alias(lowered=Lower("username"))
        .filter(lowered__startswith=prefix.casefold())
        .exclude(pk__in=blocking)
        .exclude(pk__in=blocked_by)
        .order_by(Length("username"), "username")[:limit]
    )
