"""Explore's queries compiled once per process give each viewer what the queryset gives them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models.expressions import RawSQL

from photos.explore.compiled import CompiledQuery
from photos.models import Photo
from photos.selectors import photos_visible_to
from tests.factories import FollowFactory, PhotoFactory, UserFactory

pytestmark = pytest.mark.django_db


def _visible_ids(viewer, photo_ids):
    ids = RawSQL("SELECT unnest(%s::bigint[])", [photo_ids])
    return photos_visible_to(viewer).filter(pk__in=ids).order_by("pk").values_list("pk")


def test_one_compiled_query_answers_every_viewer_as_the_queryset_does():
    owner, follower, stranger = UserFactory(), UserFactory(), UserFactory()
    FollowFactory(follower=follower, followee=owner)
    public = PhotoFactory(owner=owner)
    private = PhotoFactory(owner=owner, visibility=Photo.Visibility.PRIVATE)
    followers = PhotoFactory(owner=owner, visibility=Photo.Visibility.FOLLOWERS)
    other = PhotoFactory()
    query = CompiledQuery(_visible_ids)
    every = [public.pk, private.pk, followers.pk, other.pk]
    for viewer, ids in [
        (stranger, every),
        (owner, every),
        (follower, every),
        (stranger, [private.pk, other.pk]),
        (AnonymousUser(), every),
    ]:
        expected = list(_visible_ids(viewer, ids))
        assert query.rows(viewer, ids) == expected, viewer
    assert [pk for (pk,) in query.rows(owner, every)] == sorted([public.pk, private.pk, followers.pk, other.pk])
    assert [pk for (pk,) in query.rows(stranger, every)] == sorted([public.pk, other.pk])
    assert [pk for (pk,) in query.rows(follower, every)] == sorted([public.pk, followers.pk, other.pk])


def test_a_list_not_passed_as_one_parameter_is_refused():
    def build(viewer, photo_ids):
        return photos_visible_to(viewer).filter(pk__in=RawSQL("SELECT unnest(%s::bigint[])", [[*photo_ids, 1]]))

    with pytest.raises(ValueError, match="passed whole"):
        CompiledQuery(build).rows(UserFactory(), [1])
