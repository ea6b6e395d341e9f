"""A person's history says nothing about photos they may no longer see: API, profile chart and Explore."""

import pytest

from photos import services
from photos.explore import services as explore_services
from photos.explore.item_model import item_model_rebuild
from photos.explore.selectors import explore_for
from photos.models import Photo, PhotoTag
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, TagFactory, UserFactory
from tests.helpers import client_for, crowd, view

pytestmark = pytest.mark.django_db

SECRET_CAPTION = "#mergerwithacme #layoffs2027"
SECRET_TAGS = {"mergerwithacme", "layoffs2027"}


def _make_private(owner, viewer, photo) -> None:
    services.photo_update(photo=photo, visibility=Photo.Visibility.PRIVATE)


def _owner_blocks(owner, viewer, photo) -> None:
    services.block_create(blocker=owner, blocked=viewer)


def _viewer_blocks(owner, viewer, photo) -> None:
    services.block_create(blocker=viewer, blocked=owner)


def _follow_ends(owner, viewer, photo) -> None:
    services.follow_delete(follower=viewer, followee=owner)


LOSING_SIGHT = {
    "made_private": _make_private,
    "owner_blocks_viewer": _owner_blocks,
    "viewer_blocks_owner": _viewer_blocks,
    "follow_ends": _follow_ends,
}


def _seen_then_out_of_sight(how: str | None):
    """Return (owner, viewer): the viewer saw a photo of the owner, lost sight of it (``how``), then
    the owner captioned it with secret hashtags. The viewer also saw a still visible beach photo."""
    owner, viewer = UserFactory(username="alice"), UserFactory(username="dave")
    visibility = Photo.Visibility.FOLLOWERS if how == "follow_ends" else Photo.Visibility.PUBLIC
    if how == "follow_ends":
        FollowFactory(follower=viewer, followee=owner)
    secret = PhotoFactory(owner=owner, visibility=visibility, caption="Quarterly numbers")
    beach = PhotoTagFactory(tag=TagFactory(name="beach", categories=["landscape"])).photo
    view(viewer, secret, beach, days_ago=1)
    if how is not None:
        LOSING_SIGHT[how](owner, viewer, secret)
    services.photo_update(photo=secret, caption=SECRET_CAPTION)
    assert set(secret.photo_tags.filter(source=PhotoTag.Source.HASHTAG).values_list("tag__name", flat=True)) == (
        SECRET_TAGS
    )
    return owner, viewer


def test_a_photo_still_in_sight_shows_its_hashtags_in_the_history():
    _, viewer = _seen_then_out_of_sight(None)
    body = client_for(viewer).get("/api/v1/users/me/history/").json()
    assert body["photos"] == 2 and SECRET_TAGS | {"beach"} == {tag["name"] for tag in body["tags"]}


@pytest.mark.parametrize("how", LOSING_SIGHT)
def test_history_api_forgets_photos_out_of_sight(how):
    _, viewer = _seen_then_out_of_sight(how)
    body = client_for(viewer).get("/api/v1/users/me/history/").json()
    assert body["photos"] == 1
    assert [(tag["name"], tag["photos"], tag["share"]) for tag in body["tags"]] == [("beach", 1, 0.9)]
    assert [category["name"] for category in body["categories"]] == ["landscape"]


@pytest.mark.parametrize("how", LOSING_SIGHT)
def test_interests_chart_forgets_photos_out_of_sight(client, how):
    _, viewer = _seen_then_out_of_sight(how)
    client.force_login(viewer)
    html = client.get(f"/u/{viewer.username}/").content.decode()
    assert "Your interests" in html and "beach" in html
    assert not any(name in html for name in SECRET_TAGS)
    assert "It comes from the 1 photo you most recently" in html


@pytest.mark.parametrize("how", LOSING_SIGHT)
def test_explore_never_names_a_tag_of_a_photo_out_of_sight(how):
    _, viewer = _seen_then_out_of_sight(how)
    # Someone else's public photo with the same hashtag, well viewed: it sits in that tag's pool.
    elsewhere = PhotoFactory(caption="ours")
    services.photo_update(photo=elsewhere, caption="#mergerwithacme")
    crowd(3, elsewhere)
    item_model_rebuild()
    reasons = [reason for item in explore_for(viewer, size=100).items for reason in item.reasons]
    assert reasons
    assert not any(reason.tag in SECRET_TAGS or "mergerwithacme" in reason.text for reason in reasons)
    assert not any(reason.kind == "co_view" for reason in reasons)


def test_explore_still_names_a_tag_of_a_photo_in_sight():
    _, viewer = _seen_then_out_of_sight(None)
    elsewhere = PhotoFactory(caption="ours")
    services.photo_update(photo=elsewhere, caption="#mergerwithacme")
    crowd(3, elsewhere)
    item_model_rebuild()
    reasons = [reason for item in explore_for(viewer, size=100).items for reason in item.reasons]
    assert any(reason.kind == "tag" and reason.tag == "mergerwithacme" for reason in reasons)


def test_interests_chart_draws_shares_not_bars_scaled_to_the_top_row(client, user):
    beach = TagFactory(name="beach", categories=["landscape"])
    view(user, PhotoTagFactory(tag=beach, confidence=1.0).photo, *[PhotoFactory() for _ in range(3)])
    client.force_login(user)
    html = client.get(f"/u/{user.username}/").content.decode()
    # beach is a quarter of the history: a quarter of the 170-unit bar, not all of it.
    assert 'width="42"' in html and 'width="170"' not in html and "25%" in html


def test_clearing_history_is_confirmed_first_and_deletes_the_view_dedupe_keys(client, user):
    photo = PhotoFactory()
    assert explore_services.photo_view_record(user=user, photo=photo) is not None
    assert explore_services.photo_view_record(user=user, photo=photo) is None  # the 30-minute dedupe key
    client.force_login(user)
    profile = client.get(f"/u/{user.username}/").content.decode()
    assert 'data-confirm="Clear your history?' in profile and 'data-confirmed-field="confirmed"' in profile
    client.post("/accounts/history/clear/", {"confirmed": "1"})
    # No trace left: opening the photo again is recorded, as for somebody who never opened it.
    assert explore_services.photo_view_record(user=user, photo=photo) is not None
    explore_services.view_history_clear(user=user)
    assert explore_services.photo_view_record(user=user, photo=photo) is not None
