"""Reads about people: search by name, and whom to suggest following.

Blocks hide people both ways here as everywhere (``photos.selectors._blocked_user_ids``), and any
photo these reads look at goes through ``photos_visible_to``.
"""

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from photos.limits import PAGE_SIZE
from photos.models import Follow, Photo, PhotoTag, PhotoView, User
from photos.selectors import Viewer, _approved_followee_ids, _blocked_user_ids, photo_list, photos_visible_to

SUGGESTIONS_SIZE = 8
# The tags a person's own uploads and recently viewed photos carry: what "people who post what you like" means.
TASTE_VIEWS = 200
SUGGESTED_PHOTOS_SIZE = 12


def _count(rows: QuerySet, group: str) -> Subquery:
    """Return a correlated count of ``rows`` grouped by ``group``: one subquery, no join that multiplies rows."""
    return Coalesce(
        Subquery(rows.order_by().values(group).annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
        0,
    )


def _follower_count() -> Subquery:
    accepted = Follow.objects.filter(followee=OuterRef("pk"), status=Follow.Status.ACCEPTED, follower__is_active=True)
    return _count(accepted, "followee")


def follow_status_expression(viewer: Viewer, person: str = "pk") -> Subquery | Value:
    """Return an annotation: ``viewer``'s follow status (accepted, pending or None) towards ``person``."""
    if not viewer.is_authenticated:
        return Value(None, output_field=CharField())
    status = Follow.objects.filter(follower=viewer, followee=OuterRef(person)).values("status")[:1]
    return Subquery(status)


def _people_visible_to(viewer: Viewer) -> QuerySet[User]:
    """Return the active people ``viewer`` may see listed: nobody in a block with them, either way."""
    people = User.objects.filter(is_active=True)
    if viewer.is_authenticated:
        blocking, blocked_by = _blocked_user_ids(viewer)
        people = people.exclude(pk__in=blocking).exclude(pk__in=blocked_by)
    return people


def people_search(viewer: Viewer, text: str, *, size: int = PAGE_SIZE) -> list[User]:
    """Return up to ``size`` people whose username or display name starts with ``text``, in any case.

    A word of the display name counts too ("Ann Lee" is found by "lee"). Exact usernames come first,
    then the most followed. Each person carries ``follower_count`` and ``follow_status`` (the
    viewer's), read in the same single query whatever ``size`` is.
    """
    text = text.strip().lstrip("@").replace("\x00", "")
    if not text:
        return []
    matches = Q(username__istartswith=text) | Q(display_name__istartswith=text) | Q(display_name__icontains=f" {text}")
    people = (
        _people_visible_to(viewer)
        .filter(matches)
        .annotate(
            exact=Case(When(username__iexact=text, then=Value(1)), default=Value(0)),
            follower_count=_follower_count(),
            follow_status=follow_status_expression(viewer),
        )
        .order_by("-exact", "-follower_count", "username")
    )
    return list(people[:size])


@dataclass(frozen=True)
class Suggestion:
    person: User
    reason: str


def _taste_tag_ids(user: User) -> QuerySet:
    """Return the ids of the tags on ``user``'s uploads and on the photos they viewed lately."""
    viewed = PhotoView.objects.filter(user=user).order_by("-viewed_at").values("photo_id")[:TASTE_VIEWS]
    return PhotoTag.objects.filter(Q(photo__owner=user) | Q(photo_id__in=viewed)).values("tag_id")


def people_suggested(user: User, *, size: int = SUGGESTIONS_SIZE) -> list[Suggestion]:
    """Return people ``user`` may like to follow, each with the reason, best first.

    Ranked by how many of the people ``user`` follows follow them, then by how many of their photos
    (that ``user`` may see) carry tags of ``user``'s own uploads and viewed photos, then by followers.
    Never ``user``, nobody in a block with them, nobody they follow or asked to follow; a private
    account only when someone they follow follows it (otherwise it is a stranger's locked door);
    nobody with neither followers nor a photo ``user`` may see.
    """
    followees = _approved_followee_ids(user)
    friends_follow = Follow.objects.filter(
        followee=OuterRef("pk"), status=Follow.Status.ACCEPTED, follower_id__in=followees
    )
    tagged = photos_visible_to(user).filter(
        owner=OuterRef("pk"), pk__in=PhotoTag.objects.filter(tag_id__in=_taste_tag_ids(user)).values("photo_id")
    )
    people = (
        _people_visible_to(user)
        .exclude(pk=user.pk)
        .exclude(pk__in=Follow.objects.filter(follower=user).values("followee_id"))
        .annotate(
            friends=_count(friends_follow, "followee"),
            taste=_count(tagged, "owner"),
            follower_count=_follower_count(),
            shows_photos=Exists(photos_visible_to(user).filter(owner=OuterRef("pk"))),
        )
        .filter(Q(is_private=False) | Q(friends__gt=0))
        # An account with no followers and nothing to see is no suggestion, only noise.
        .filter(Q(friends__gt=0) | Q(taste__gt=0) | Q(follower_count__gt=0) | Q(shows_photos=True))
        .order_by("-friends", "-taste", "-follower_count", "-date_joined", "-pk")
    )
    return [Suggestion(person=person, reason=_reason(person)) for person in people[:size]]


def _reason(person: User) -> str:
    if person.friends:
        return f"Followed by {person.friends} {'person' if person.friends == 1 else 'people'} you follow"
    if person.taste:
        return "Posts photos of things you post and look at"
    if person.follower_count:
        return f"Popular: {person.follower_count} follower{'' if person.follower_count == 1 else 's'}"
    return "Shares photos you can see"


def suggested_photos(user: User, *, size: int = SUGGESTED_PHOTOS_SIZE) -> QuerySet[Photo]:
    """Return the newest public photos of others that ``user`` may see: something to start from."""
    public = photos_visible_to(user).filter(owner__is_private=False, visibility=Photo.Visibility.PUBLIC)
    return photo_list(user, public.exclude(owner=user)).order_by("-created_at", "-id")[:size]
