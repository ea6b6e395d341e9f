"""The live fill: Explore is never empty while a photo is visible, model or no model."""

import pytest
from django.contrib.auth.models import AnonymousUser

from photos.explore.item_model import item_model_rebuild
from photos.explore.selectors import MAX_PER_OWNER, explore_for
from photos.explore.sources import Reason
from photos.models import Photo, PopularPhoto
from tests.factories import PhotoFactory, UserFactory
from tests.helpers import client_for, crowd, view

pytestmark = pytest.mark.django_db


def test_a_fresh_site_without_a_model_shows_photos_to_everybody(client, user):
    photos = [PhotoFactory() for _ in range(3)]
    assert not PopularPhoto.objects.exists()
    for viewer in (AnonymousUser(), user, UserFactory()):
        assert {item.photo.pk for item in explore_for(viewer).items} == {photo.pk for photo in photos}
    assert all(item.reasons == [Reason("recent", "New on socialsite")] for item in explore_for(user).items)
    assert client_for(user).get("/api/v1/recommendations/").json()["results"]
    html = client.get("/explore/").content.decode()
    assert f"/p/{photos[0].pk}/" in html and "New on socialsite" in html


def test_the_live_fill_ranks_viewed_and_liked_photos_first_and_leaves_out_the_seen(user):
    quiet, viewed, seen = PhotoFactory(), PhotoFactory(), PhotoFactory()
    crowd(3, viewed)
    view(user, seen)
    ranked = [item.photo.pk for item in explore_for(user).items]
    assert ranked == [viewed.pk, quiet.pk]
    assert explore_for(user).items[0].reasons == [Reason("recent", "Viewed by others lately")]


def test_the_live_fill_keeps_to_visibility_and_the_owner_cap(user):
    owner = UserFactory()
    mine = [PhotoFactory(owner=owner) for _ in range(4)]
    hidden = PhotoFactory(visibility=Photo.Visibility.PRIVATE)
    own = PhotoFactory(owner=user)
    shown = [item.photo.pk for item in explore_for(user).items]
    assert len(shown) == MAX_PER_OWNER and set(shown) <= {photo.pk for photo in mine}
    assert hidden.pk not in shown and own.pk not in shown


def test_the_model_picks_come_before_the_fill(user):
    anchor, together, fresh = PhotoFactory(), PhotoFactory(), PhotoFactory()
    crowd(4, anchor, together)
    view(user, anchor)
    item_model_rebuild()
    items = explore_for(user).items
    assert [item.photo.pk for item in items] == [together.pk, fresh.pk]
    assert items[0].score > items[1].score and items[1].reasons[0].kind == "recent"
