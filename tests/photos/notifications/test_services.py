"""Notifications made by the social services, on commit, and never for one's own acts."""

import io

import pytest

from photos import services
from photos.models import Follow, Notification, Photo
from photos.notifications.mentions import mentions_in
from photos.notifications.services import mentions_notify, notification_settings_update, notifications_mark_read
from photos.processing.services import photos_process
from tests.factories import FollowFactory, PhotoFactory, UserFactory
from tests.helpers import jpeg_bytes

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def kinds_for(user) -> list[tuple[str, int | None]]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", "actor_id"))


def test_like_notifies_the_owner_on_commit_once_and_unlike_takes_it_back(django_capture_on_commit_callbacks):
    photo = PhotoFactory()
    fan = UserFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.like_create(user=fan, photo=photo)
    assert not Notification.objects.exists()  # nothing before the like is committed
    for callback in callbacks:
        callback()
    assert kinds_for(photo.owner) == [(Kind.LIKE, fan.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        services.like_delete(user=fan, photo=photo)
    assert kinds_for(photo.owner) == []
    with django_capture_on_commit_callbacks(execute=True):
        services.like_create(user=fan, photo=photo)
        services.like_delete(user=fan, photo=photo)
        services.like_create(user=fan, photo=photo)
    assert kinds_for(photo.owner) == [(Kind.LIKE, fan.pk)]


def test_own_like_and_comment_notify_nobody(django_capture_on_commit_callbacks):
    photo = PhotoFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.like_create(user=photo.owner, photo=photo)
        services.comment_create(author=photo.owner, photo=photo, text=f"me, @{photo.owner.username}")
    assert not Notification.objects.exists()


def test_each_comment_notifies_the_owner_with_the_comment(django_capture_on_commit_callbacks):
    photo = PhotoFactory()
    critic = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        first = services.comment_create(author=critic, photo=photo, text="nice")
        second = services.comment_create(author=critic, photo=photo, text="really")
    rows = Notification.objects.filter(recipient=photo.owner, kind=Kind.COMMENT)
    assert sorted(rows.values_list("comment_id", flat=True)) == sorted([first.pk, second.pk])
    services.comment_delete(comment=first)
    assert list(rows.values_list("comment_id", flat=True)) == [second.pk]


def test_follow_request_approval_and_withdrawal(django_capture_on_commit_callbacks):
    owner = UserFactory(is_private=True)
    fan, other = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_create(follower=fan, followee=owner)
        services.follow_create(follower=other, followee=owner)
    assert kinds_for(owner) == [(Kind.FOLLOW_REQUEST, fan.pk), (Kind.FOLLOW_REQUEST, other.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_request_approve(owner=owner, follower=fan)
    # The answered request becomes a plain follow; the follower hears of the approval.
    assert kinds_for(owner) == [(Kind.FOLLOW, fan.pk), (Kind.FOLLOW_REQUEST, other.pk)]
    assert kinds_for(fan) == [(Kind.FOLLOW_APPROVED, owner.pk)]
    services.follow_request_decline(owner=owner, follower=other)
    assert kinds_for(owner) == [(Kind.FOLLOW, fan.pk)]
    services.follow_delete(follower=fan, followee=owner)
    assert kinds_for(owner) == []


def test_follow_of_a_public_account_notifies_once(django_capture_on_commit_callbacks):
    star, fan = UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.follow_create(follower=fan, followee=star)
        services.follow_create(follower=fan, followee=star)
    assert kinds_for(star) == [(Kind.FOLLOW, fan.pk)]
    assert Follow.objects.get(follower=fan).status == Follow.Status.ACCEPTED


def test_a_kind_turned_off_is_not_made(django_capture_on_commit_callbacks):
    photo = PhotoFactory()
    notification_settings_update(user=photo.owner, kinds_off=[Kind.LIKE, "nonsense"])
    assert photo.owner.notifications_off == [Kind.LIKE]
    with django_capture_on_commit_callbacks(execute=True):
        services.like_create(user=UserFactory(), photo=photo)
        services.comment_create(author=UserFactory(), photo=photo, text="still told")
    assert [kind for kind, _ in kinds_for(photo.owner)] == [Kind.COMMENT]


def test_mentions_in_text():
    assert mentions_in("hi @Bob. and @ann_x, @bob again; mail me at me@example.com; @dot.name!") == [
        "bob",
        "ann_x",
        "dot.name",
    ]
    assert mentions_in("no mention@here nor @ alone") == []


def test_mentions_in_captions_and_comments_notify_who_can_see_the_photo(django_capture_on_commit_callbacks):
    author = UserFactory()
    UserFactory(username="ann")
    bob, stranger = UserFactory(username="Bob"), UserFactory(username="zed")
    FollowFactory(follower=bob, followee=author)
    with django_capture_on_commit_callbacks(execute=True):
        public = services.photo_create(
            owner=author, image=_jpeg(), caption="with @ann and @bob, not @nobody", visibility="public"
        )
        followers_only = services.photo_create(
            owner=author, image=_jpeg(), caption="@ann @bob @zed", visibility="followers"
        )
    # Nobody is told of a photo still processing (nobody else may see it yet); they are once it is done.
    assert not Notification.objects.filter(kind=Kind.MENTION).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert photos_process(photo_ids=[public.pk, followers_only.pk]) == 2
    assert list(
        Notification.objects.filter(kind=Kind.MENTION, photo=public)
        .values_list("recipient__username", flat=True)
        .order_by("recipient__username")
    ) == ["Bob", "ann"]
    # Only bob follows: ann and zed cannot see a followers-only photo, so they are not told of it.
    assert list(Notification.objects.filter(photo=followers_only).values_list("recipient_id", flat=True)) == [bob.pk]
    # Editing the caption notifies only the newly mentioned.
    with django_capture_on_commit_callbacks(execute=True):
        services.photo_update(photo=public, caption="with @ann and @bob and @zed")
    assert Notification.objects.filter(kind=Kind.MENTION, photo=public).count() == 3
    assert Notification.objects.filter(recipient=stranger, photo=public).exists()


def test_no_mention_across_a_block(django_capture_on_commit_callbacks):
    photo = PhotoFactory()
    talker, blocker, blocked = UserFactory(), UserFactory(username="blocker"), UserFactory(username="blocked")
    services.block_create(blocker=blocker, blocked=talker)
    services.block_create(blocker=talker, blocked=blocked)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(author=talker, photo=photo, text="hey @blocker and @blocked")
    assert not Notification.objects.filter(kind=Kind.MENTION).exists()
    assert mentions_notify(author=talker, photo=photo, text="@blocker @blocked") == 0


def test_mentioning_the_owner_in_a_comment_is_one_comment_notification(django_capture_on_commit_callbacks):
    photo = PhotoFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(author=UserFactory(), photo=photo, text=f"@{photo.owner.username} look")
    assert [kind for kind, _ in kinds_for(photo.owner)] == [Kind.COMMENT]


def test_mark_read_up_to_an_id():
    photo = PhotoFactory(visibility=Photo.Visibility.PUBLIC)
    older = Notification.objects.create(recipient=photo.owner, actor=UserFactory(), kind=Kind.LIKE, photo=photo)
    newer = Notification.objects.create(recipient=photo.owner, actor=UserFactory(), kind=Kind.FOLLOW)
    assert notifications_mark_read(user=photo.owner, up_to_id=older.pk) == 1
    newer.refresh_from_db()
    assert newer.read_at is None
    assert notifications_mark_read(user=photo.owner) == 1


def _jpeg() -> io.BytesIO:
    return io.BytesIO(jpeg_bytes(size=(64, 48)))
