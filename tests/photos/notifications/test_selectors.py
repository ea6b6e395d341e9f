"""Reading notifications: grouped per kind and photo, and only what the recipient may still see."""

import pytest

from photos import services
from photos.models import Notification, Photo
from photos.notifications.selectors import mention_candidates, notification_groups, unread_notification_count
from photos.notifications.services import notifications_mark_read
from tests.factories import FollowFactory, PhotoFactory, UserFactory

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def notify(recipient, actor, kind, photo=None) -> Notification:
    return Notification.objects.create(recipient=recipient, actor=actor, kind=kind, photo=photo)


def test_likes_of_one_photo_read_as_one_line_latest_first():
    photo = PhotoFactory()
    owner = photo.owner
    fans = [UserFactory(display_name=f"Fan {n}") for n in range(4)]
    for fan in fans:
        notify(owner, fan, Kind.LIKE, photo)
    notify(owner, fans[0], Kind.FOLLOW)
    groups, next_before = notification_groups(owner, size=10)
    assert next_before is None
    assert [group.text for group in groups] == ["Fan 0 started following you", "Fan 3 and 3 others liked your photo"]
    assert groups[1].photo == photo and groups[1].unread
    assert unread_notification_count(owner) == 2
    notifications_mark_read(user=owner)
    assert unread_notification_count(owner) == 0
    assert not any(group.unread for group in notification_groups(owner, size=10)[0])


def test_one_other_is_singular():
    photo = PhotoFactory()
    notify(photo.owner, UserFactory(username="a"), Kind.LIKE, photo)
    notify(photo.owner, UserFactory(username="b"), Kind.LIKE, photo)
    assert notification_groups(photo.owner, size=10)[0][0].text == "b and 1 other liked your photo"


def test_paging_by_cursor_covers_every_group_once():
    owner = UserFactory()
    photos = PhotoFactory.create_batch(5, owner=owner)
    for photo in photos:
        notify(owner, UserFactory(), Kind.COMMENT, photo)
    seen, before = [], None
    while True:
        groups, before = notification_groups(owner, before_id=before, size=2)
        seen += [group.photo.pk for group in groups]
        if before is None:
            break
    assert seen == [photo.pk for photo in reversed(photos)]


def test_what_the_recipient_can_no_longer_see_is_not_shown():
    reader = UserFactory()
    friend = UserFactory()
    FollowFactory(follower=reader, followee=friend)
    theirs = PhotoFactory(owner=friend, visibility=Photo.Visibility.FOLLOWERS)
    blocked_actor, closed_actor = UserFactory(), UserFactory()
    notify(reader, friend, Kind.MENTION, theirs)
    notify(reader, blocked_actor, Kind.FOLLOW)
    notify(reader, closed_actor, Kind.FOLLOW)
    assert unread_notification_count(reader) == 2  # mention + the two follows in one group
    services.block_create(blocker=reader, blocked=blocked_actor)
    closed_actor.is_active = False
    closed_actor.save()
    assert [group.kind for group in notification_groups(reader, size=10)[0]] == [Kind.MENTION]
    services.photo_update(photo=theirs, visibility=Photo.Visibility.PRIVATE)
    assert notification_groups(reader, size=10)[0] == []
    assert unread_notification_count(reader) == 0
    services.photo_update(photo=theirs, visibility=Photo.Visibility.FOLLOWERS)
    services.block_create(blocker=friend, blocked=reader)  # blocked by the actor: hidden too
    assert notification_groups(reader, size=10)[0] == []


def test_a_deleted_photo_takes_its_notifications_with_it():
    photo = PhotoFactory()
    notify(photo.owner, UserFactory(), Kind.LIKE, photo)
    services.photo_delete(photo=photo)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("groups", [1, 8])
def test_a_page_and_the_badge_cost_the_same_queries_whatever_the_size(groups, django_assert_num_queries):
    owner = UserFactory()
    for photo in PhotoFactory.create_batch(groups, owner=owner):
        for _ in range(2):
            notify(owner, UserFactory(), Kind.LIKE, photo)
    with django_assert_num_queries(2):  # the groups; their latest rows with actor, photo, comment
        page, _ = notification_groups(owner, size=30)
        assert [group.actor.username for group in page]
    with django_assert_num_queries(1):
        assert unread_notification_count(owner) == groups


def test_mention_candidates_by_prefix_without_blocks():
    viewer = UserFactory()
    UserFactory(username="annie")
    UserFactory(username="Ann")
    hidden = UserFactory(username="anna")
    UserFactory(username="bob")
    services.block_create(blocker=hidden, blocked=viewer)
    names = [user.username for user in mention_candidates(viewer=viewer, prefix="AN", limit=5)]
    assert names == ["Ann", "annie"]
