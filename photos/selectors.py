"""Reads of the social domain. Every read of photos goes through ``photos_visible_to``."""

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import (
    Count,
    Exists,
    Expression,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, Greatest, Lower
from django.http import Http404
from django.shortcuts import get_object_or_404

from photos.cursors import cursor_decode, cursor_encode, row_id
from photos.explore.compiled import CompiledQuery, ids_filter
from photos.limits import FEED_COMMENTS
from photos.models import Block, Comment, Follow, Like, Photo, PhotoTag, User

Viewer = User | AnonymousUser


def _approved_followee_ids(user: User) -> QuerySet:
    return Follow.objects.filter(follower=user, status=Follow.Status.ACCEPTED).values("followee_id")


def _blocked_user_ids(user: User) -> tuple[QuerySet, QuerySet]:
    """Return (people the user blocks, people who block the user): blocking hides both ways."""
    return (
        Block.objects.filter(blocker=user).values("blocked_id"),
        Block.objects.filter(blocked=user).values("blocker_id"),
    )


def photos_visible_to(viewer: Viewer) -> QuerySet[Photo]:
    """Return the photos ``viewer`` may see: the one rule for pages, API, feed, search and explore.

    The owner sees all their photos, processing ones included. Others see a photo only once it
    is processed (tagged, or failed with its copies made), and never private or hidden photos,
    nor photos of people who block them or whom they block. A public photo of a private account,
    and any followers-only photo, is seen only by approved followers. Photos of inactive owners
    (suspended by a moderator) are hidden, from everyone else.
    """
    photos = Photo.objects.all()
    public_account = Q(owner__is_private=False, visibility=Photo.Visibility.PUBLIC)
    processed = Q(status=Photo.Status.TAGGED) | (Q(status=Photo.Status.FAILED) & ~Q(image="") & ~Q(thumbnail=""))
    if not viewer.is_authenticated:
        return photos.filter(public_account, processed, is_hidden=False, owner__is_active=True)
    followee_ids = _approved_followee_ids(viewer)
    blocking, blocked_by = _blocked_user_ids(viewer)
    others = (
        processed
        & Q(is_hidden=False, owner__is_active=True)
        & ~Q(owner_id__in=blocking)
        & ~Q(owner_id__in=blocked_by)
        & (
            public_account
            | Q(
                owner_id__in=followee_ids,
                visibility__in=[Photo.Visibility.PUBLIC, Photo.Visibility.FOLLOWERS],
            )
        )
    )
    return photos.filter(Q(owner=viewer) | others)


# A list's tags, best first (for ``prefetch_related_objects`` too).
LIST_TAGS = Prefetch("photo_tags", queryset=PhotoTag.objects.select_related("tag").order_by("-confidence", "tag__name"))


def photo_list(viewer: Viewer, photos: QuerySet[Photo] | None = None, *, tags: bool = True) -> QuerySet[Photo]:
    """Return visible photos with what a list shows loaded in a fixed number of queries.

    ``tags=False`` leaves the tags out, for a caller that reads them as rows (photos.tag_rows).
    """
    if photos is None:
        photos = photos_visible_to(viewer)
    photos = photos.select_related("owner")
    if tags:
        photos = photos.prefetch_related(LIST_TAGS)
    liked = Exists(Like.objects.filter(user=viewer, photo=OuterRef("pk"))) if viewer.is_authenticated else Value(False)
    return photos.annotate(liked=liked, visible_comment_count=_visible_comment_count(viewer))


def _visible_comment_count(viewer: Viewer) -> Expression:
    """Return the comment counter less the comments ``viewer`` is not shown (see ``photo_comments``).

    A subquery in the list's own query, so a page still costs the same number of queries.
    """
    unseen = Q(is_hidden=True) | Q(author__is_active=False)
    if viewer.is_authenticated:
        blocking, blocked_by = _blocked_user_ids(viewer)
        unseen = (unseen & ~Q(author=viewer)) | Q(author_id__in=blocking) | Q(author_id__in=blocked_by)
    hidden = (
        Comment.objects.filter(photo=OuterRef("pk"))
        .filter(unseen)
        .order_by()
        .values("photo")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Greatest(F("comment_count") - Coalesce(Subquery(hidden, output_field=IntegerField()), 0), Value(0))


def photo_get(*, viewer: Viewer, photo_id: int) -> Photo:
    """Return the photo if ``viewer`` may see it, else raise Http404 (never 403: no leaks).

    Its query is compiled once per process (CompiledQuery): building the visibility rule and the
    list's annotations took the ORM longer than PostgreSQL takes to answer.
    """
    # Compiled SQL skips the ORM's range check: an id past bigint names no photo (not a database error).
    found = _PHOTO.instances(viewer, [photo_id]) if 0 < photo_id < 2**63 else []
    if not found:
        raise Http404(f"No {Photo._meta.object_name} matches the given query.")  # get_object_or_404's words
    prefetch_related_objects(found, LIST_TAGS)
    return found[0]


def _photo_rows(viewer: Viewer, photo_ids: list[int]) -> QuerySet[Photo]:
    return photo_list(viewer, photos_visible_to(viewer).filter(ids_filter("pk", photo_ids)), tags=False)


_PHOTO = CompiledQuery(_photo_rows)


def feed_for_user(user: User, *, tags: bool = True) -> QuerySet[Photo]:
    """Return the home feed: visible photos of approved followees and the user's own, newest first."""
    photos = photos_visible_to(user).filter(Q(owner=user) | Q(owner_id__in=_approved_followee_ids(user)))
    return photo_list(user, photos, tags=tags).order_by("-created_at", "-id")


def moment_decode(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("a moment is an ISO 8601 string")
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("a moment has a time zone")
    return moment


def feed_page(user: User, *, cursor: str | None, size: int) -> tuple[list[Photo], str | None]:
    """Return a page of the feed after ``cursor`` (None: the newest) and the cursor of the next page.

    Each photo carries its ``latest_comments`` (newest first, at most FEED_COMMENTS, none by people in a
    block with ``user``). Three queries whatever the size: photos, their tags, their latest comments.
    Raise InvalidCursor for a cursor that is not one of ours.
    """
    comments = _comments_shown(Comment.objects.select_related("author"), user).order_by("-created_at", "-id")
    photos = feed_for_user(user).prefetch_related(
        Prefetch("comments", queryset=comments[:FEED_COMMENTS], to_attr="latest_comments")
    )
    if cursor is not None:
        created_at, photo_id = cursor_decode(cursor, moment_decode, row_id)
        photos = photos.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=photo_id))
    page = list(photos[: size + 1])
    if len(page) <= size:
        return page, None
    last = page[size - 1]
    return page[:size], cursor_encode([last.created_at.isoformat(), last.pk])


def public_photos() -> QuerySet[Photo]:
    """Return the newest public photos for the landing page: never a sensitive one, even blurred."""
    return photo_list(AnonymousUser()).filter(is_sensitive=False).order_by("-created_at", "-id")


def user_photos(*, viewer: Viewer, owner: User) -> QuerySet[Photo]:
    """Return the photos of ``owner`` that ``viewer`` may see, newest first."""
    return photo_list(viewer, photos_visible_to(viewer).filter(owner=owner)).order_by("-created_at", "-id")


def _named(rows: QuerySet, username: str, field: str = "username") -> QuerySet:
    """Narrow ``rows`` to the one name ``username`` in any case: the same Lower() the unique constraint uses.

    Names are unique ignoring case, so ``/u/Bob/`` and a mention typed ``@BOB`` reach ``bob``.
    """
    return rows.alias(_lowered_name=Lower(field)).filter(_lowered_name=Lower(Value(username)))


def user_get(*, viewer: Viewer, username: str) -> User:
    """Return the active user with profile counts, or 404; blocked pairs cannot see each other."""
    users = User.objects.filter(is_active=True).annotate(
        follower_count=Count("follower_set", filter=Q(follower_set__status=Follow.Status.ACCEPTED), distinct=True),
        following_count=Count("following_set", filter=Q(following_set__status=Follow.Status.ACCEPTED), distinct=True),
        # Shown to the owner only (a link to the requests page); free here, in the same join.
        follow_request_count=Count("follower_set", filter=Q(follower_set__status=Follow.Status.PENDING), distinct=True),
    )
    if viewer.is_authenticated:
        blocking, blocked_by = _blocked_user_ids(viewer)
        users = users.exclude(pk__in=blocking).exclude(pk__in=blocked_by)
    user = get_object_or_404(_named(users, username))
    user.photo_count = photos_visible_to(viewer).filter(owner=user).count()
    return user


def username_taken(username: str) -> bool:
    """Return whether an account has this (normalised) name whatever its case."""
    return _named(User.objects.all(), username).exists()


def user_reachable_get(*, viewer: User, username: str) -> User:
    """Return the active user ``viewer`` may follow, unfollow, block or unblock by name, or raise Http404.

    Someone who blocks ``viewer`` answers as if they did not exist, as their profile does, so that
    no action tells ``viewer`` they are blocked; unless ``viewer`` blocks them too, which ``viewer`` knows.
    """
    blocks_viewer = Block.objects.filter(blocker=OuterRef("pk"), blocked=viewer)
    blocked_by_viewer = Block.objects.filter(blocker=viewer, blocked=OuterRef("pk"))
    users = User.objects.filter(is_active=True).exclude(Exists(blocks_viewer) & ~Exists(blocked_by_viewer))
    return get_object_or_404(_named(users, username))


def follow_status(*, viewer: Viewer, owner: User) -> str | None:
    """Return ``accepted``, ``pending`` or None for ``viewer`` following ``owner``."""
    if not viewer.is_authenticated:
        return None
    return Follow.objects.filter(follower=viewer, followee=owner).values_list("status", flat=True).first()


def _comments_shown(comments: QuerySet[Comment], viewer: Viewer | None) -> QuerySet[Comment]:
    """Drop comments hidden by a moderator (but for their author) and those of suspended accounts."""
    shown = Q(is_hidden=False)
    if viewer is not None and viewer.is_authenticated:
        shown |= Q(author=viewer)
    return _without_blocked(comments.filter(shown, author__is_active=True), viewer, "author")


def _without_blocked(rows: QuerySet, viewer: Viewer | None, person: str) -> QuerySet:
    """Drop rows whose ``person`` blocks ``viewer`` or is blocked by them: lists hide them too."""
    if viewer is None or not viewer.is_authenticated:
        return rows
    blocking, blocked_by = _blocked_user_ids(viewer)
    return rows.exclude(**{f"{person}_id__in": blocking}).exclude(**{f"{person}_id__in": blocked_by})


def followers_of(user: User, viewer: Viewer | None = None) -> QuerySet[Follow]:
    """Return the approved follows of ``user`` (``follower`` loaded), newest first, as ``viewer`` may list them."""
    follows = (
        Follow.objects.filter(followee=user, status=Follow.Status.ACCEPTED, follower__is_active=True)
        .select_related("follower")
        .order_by("-created_at", "-id")
    )
    return _without_blocked(follows, viewer, "follower")


def following_of(user: User, viewer: Viewer | None = None) -> QuerySet[Follow]:
    """Return the approved follows by ``user`` (``followee`` loaded), newest first, as ``viewer`` may list them."""
    follows = (
        Follow.objects.filter(follower=user, status=Follow.Status.ACCEPTED, followee__is_active=True)
        .select_related("followee")
        .order_by("-created_at", "-id")
    )
    return _without_blocked(follows, viewer, "followee")


def follow_requests_for(owner: User) -> QuerySet[Follow]:
    """Return the pending requests to follow ``owner`` (``follower`` loaded), newest first."""
    return (
        Follow.objects.filter(followee=owner, status=Follow.Status.PENDING, follower__is_active=True)
        .select_related("follower")
        .order_by("-created_at", "-id")
    )


def follow_request_get(*, owner: User, username: str) -> Follow:
    """Return the pending request of ``username`` to follow ``owner``, or raise Http404."""
    return get_object_or_404(_named(follow_requests_for(owner), username, "follower__username"))


def blocks_of(user: User) -> QuerySet[Block]:
    """Return the people ``user`` blocks (``blocked`` loaded), newest first."""
    return Block.objects.filter(blocker=user).select_related("blocked").order_by("-created_at", "-id")


def blocked_user_get(*, blocker: User, username: str) -> User:
    """Return the user ``blocker`` blocks by that name, or raise Http404: the one profile a block leaves."""
    return get_object_or_404(_named(User.objects.filter(is_active=True, blocked_by_set__blocker=blocker), username))


def connections_visible(*, viewer: Viewer, owner: User) -> bool:
    """Return whether ``viewer`` may list who ``owner`` follows and is followed by."""
    if not owner.is_private or viewer == owner:
        return True
    return follow_status(viewer=viewer, owner=owner) == Follow.Status.ACCEPTED


def photo_comments(photo: Photo, viewer: Viewer | None = None) -> QuerySet[Comment]:
    """Return the comments of a photo the caller has already been allowed to see, oldest first.

    Comments by people in a block with ``viewer`` are left out (a block hides them both ways), as are
    comments a moderator hid (their author still sees them) and those of suspended accounts.
    """
    comments = photo.comments.select_related("author").order_by("created_at", "id")
    return _comments_shown(comments, viewer)


def comment_get(*, viewer: Viewer, photo_id: int, comment_id: int) -> Comment:
    """Return a comment ``viewer`` is shown, on a photo they may see, or raise Http404."""
    photo = photo_get(viewer=viewer, photo_id=photo_id)
    return get_object_or_404(photo_comments(photo, viewer=viewer).select_related("photo"), pk=comment_id)


def comment_deletable(*, user: Viewer, comment: Comment) -> bool:
    """Return whether ``user`` may delete ``comment``: its author, or the owner of its photo."""
    return user.is_authenticated and user.pk in (comment.author_id, comment.photo.owner_id)
