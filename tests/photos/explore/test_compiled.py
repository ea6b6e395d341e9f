"""Explore's queries compiled once per process give each viewer what the queryset gives them."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models.expressions import RawSQL

from photos.explore.compiled import CompiledQuery, ids_filter
from photos.models import Photo
from photos.selectors import photo_list, photos_visible_to
from tests.factories import FollowFactory, LikeFactory, PhotoFactory, UserFactory

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


def _listed(viewer, photo_ids):
    return photo_list(viewer, photos_visible_to(viewer).filter(ids_filter("pk", photo_ids)), tags=False).order_by("pk")


def _shown(photo):
    return (photo.pk, photo.caption, photo.owner.username, photo.liked, photo.visible_comment_count, photo.created_at)


def test_compiled_instances_are_the_querysets_own(django_assert_num_queries):
    owner, follower, stranger = UserFactory(), UserFactory(), UserFactory()
    FollowFactory(follower=follower, followee=owner)
    photos = [
        PhotoFactory(owner=owner),
        PhotoFactory(owner=owner, visibility=Photo.Visibility.FOLLOWERS),
        PhotoFactory(owner=owner, visibility=Photo.Visibility.PRIVATE),
        PhotoFactory(),
    ]
    LikeFactory(user=follower, photo=photos[1])
    query = CompiledQuery(_listed)
    every = [photo.pk for photo in photos]
    for viewer in (owner, follower, stranger, AnonymousUser(), follower):
        expected = [_shown(photo) for photo in _listed(viewer, every)]
        with django_assert_num_queries(1):  # the owners come in the same row, as select_related brings them
            assert [_shown(photo) for photo in query.instances(viewer, every)] == expected
    liked = {photo.pk: photo.liked for photo in query.instances(follower, every)}
    assert liked == {photos[0].pk: False, photos[1].pk: True, photos[3].pk: False}
    # A real instance: it saves and refreshes as one read through the queryset does.
    mine = query.instances(owner, [photos[2].pk])[0]
    mine.caption = "changed"
    mine.save(update_fields=["caption"])
    mine.refresh_from_db()
    assert mine.caption == "changed"


def test_ids_filter_takes_bigint_or_text_only():
    with pytest.raises(ValueError, match="bigint or text"):
        ids_filter("pk", [1], "float")
