import pytest
from django.contrib.auth.models import AnonymousUser

from photos import selectors
from photos.models import Block, Photo
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """An owner with one photo per visibility, a follower, a pending requester and a stranger."""
    owner = UserFactory(username="owner")
    follower, stranger = UserFactory(username="follower"), UserFactory(username="stranger")
    FollowFactory(follower=follower, followee=owner)
    photos = {v: PhotoFactory(owner=owner, visibility=v) for v in Photo.Visibility.values}
    photos["hidden"] = PhotoFactory(owner=owner, is_hidden=True)
    return owner, follower, stranger, photos


def visible_names(viewer, photos):
    ids = set(selectors.photos_visible_to(viewer).values_list("pk", flat=True))
    return {name for name, photo in photos.items() if photo.pk in ids}


def test_visibility_matrix_for_public_account(world):
    owner, follower, stranger, photos = world
    assert visible_names(owner, photos) == {"public", "followers", "private", "hidden"}
    assert visible_names(follower, photos) == {"public", "followers"}
    assert visible_names(stranger, photos) == {"public"}
    assert visible_names(AnonymousUser(), photos) == {"public"}


def test_private_account_shows_photos_only_to_approved_followers(world):
    owner, follower, stranger, photos = world
    owner.is_private = True
    owner.save()
    FollowFactory(follower=stranger, followee=owner, status="pending")
    assert visible_names(follower, photos) == {"public", "followers"}
    assert visible_names(stranger, photos) == set()
    assert visible_names(AnonymousUser(), photos) == set()


def test_blocking_hides_both_ways(world):
    owner, follower, stranger, photos = world
    Block.objects.create(blocker=owner, blocked=stranger)
    assert visible_names(stranger, photos) == set()
    other = PhotoFactory(owner=stranger)
    assert other.pk not in selectors.photos_visible_to(owner).values_list("pk", flat=True)


def test_inactive_owner_is_hidden(world):
    owner, follower, stranger, photos = world
    owner.is_active = False
    owner.save()
    assert visible_names(stranger, photos) == set()


def test_feed_is_own_and_followed_newest_first(world):
    owner, follower, stranger, photos = world
    own = PhotoFactory(owner=follower)
    PhotoFactory(owner=stranger)  # not followed: not in the feed
    feed = list(selectors.feed_for_user(follower))
    assert feed[0] == own
    assert {p.pk for p in feed} == {own.pk, photos["public"].pk, photos["followers"].pk}


@pytest.mark.parametrize("count", [3, 30])
def test_feed_query_count_is_fixed_whatever_the_size(count, django_assert_num_queries):
    viewer = UserFactory()
    for _ in range(count):
        photo = PhotoFactory(owner=UserFactory())
        FollowFactory(follower=viewer, followee=photo.owner)
        PhotoTagFactory(photo=photo)
    with django_assert_num_queries(2):  # photos with owners and liked flags; their tags
        photos = list(selectors.feed_for_user(viewer)[:50])
        assert all(p.owner.username and p.liked is False for p in photos)
        assert all(len(p.photo_tags.all()) == 1 and p.photo_tags.all()[0].tag.name for p in photos)
    assert len(photos) == count


def test_user_get_counts_only_what_the_viewer_may_see(world):
    owner, follower, stranger, photos = world
    assert selectors.user_get(viewer=stranger, username="owner").photo_count == 1
    assert selectors.user_get(viewer=follower, username="owner").photo_count == 2
    profile = selectors.user_get(viewer=owner, username="owner")
    assert (profile.photo_count, profile.follower_count, profile.following_count) == (4, 1, 0)


@pytest.mark.parametrize("photo_id", [0, -1, 2**63, 2**70])
def test_an_id_no_photo_can_have_is_not_found_rather_than_a_database_error(photo_id, client):
    from django.http import Http404

    with pytest.raises(Http404):
        selectors.photo_get(viewer=AnonymousUser(), photo_id=photo_id)
    if photo_id > 0:
        assert client.get(f"/api/v1/photos/{photo_id}/").status_code == 404
        assert client.get(f"/p/{photo_id}/").status_code == 404
