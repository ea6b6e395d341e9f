"""Explore keeps a person's ranking between visits, and checks what a kept ranking shows again each time."""

import pytest
from django.contrib.auth.models import AnonymousUser

from photos.explore import services as explore_services
from photos.explore.item_model import item_model_rebuild
from photos.explore.refresh import item_model_refresh
from photos.explore.selectors import RECHECK_SPARE, explore_for
from photos.models import Block, Photo
from photos.moderation import services as moderation_services
from tests.factories import CommentFactory, LikeFactory, PhotoFactory, PhotoTagFactory, TagFactory, UserFactory
from tests.helpers import client_for, crowd, view

pytestmark = pytest.mark.django_db


def ids(viewer, **kwargs) -> list[int]:
    return [item.photo.pk for item in explore_for(viewer, **kwargs).items]


@pytest.fixture
def world(user):
    """A person who viewed a beach photo, and 30 co-viewed beach photos of 15 owners to recommend."""
    tag = TagFactory(name="beach", categories=["landscape"])
    anchor = PhotoTagFactory(tag=tag, photo__caption="Low tide").photo
    owners = UserFactory.create_batch(15)
    others = [PhotoTagFactory(tag=tag, photo__owner=owners[i % 15]).photo for i in range(30)]
    crowd(4, anchor, *others)
    view(user, anchor)
    item_model_rebuild()
    return {"anchor": anchor, "others": others}


def test_a_kept_ranking_gives_the_same_page_in_two_queries(user, world, django_assert_num_queries):
    first = explore_for(user, size=10)
    # the page's photos checked (visible, not seen since; and the photo its reasons name), their tags
    with django_assert_num_queries(2):
        again = explore_for(user, size=10)
    assert [(i.photo.pk, i.score, i.reasons) for i in again.items] == [
        (i.photo.pk, i.score, i.reasons) for i in first.items
    ]
    assert again.next_cursor == first.next_cursor


def test_the_api_answers_a_second_visit_from_the_kept_ranking(user, world, django_assert_num_queries):
    api = client_for(user)
    first = api.get("/api/v1/recommendations/?page_size=10").json()
    with django_assert_num_queries(2):
        second = api.get("/api/v1/recommendations/?page_size=10").json()
    assert second == first


def _hide(kind: str, user, photo: Photo) -> None:
    if kind == "private":
        photo.visibility = Photo.Visibility.PRIVATE
        photo.save()
    elif kind == "deleted":
        photo.delete()
    elif kind == "blocked":
        Block.objects.create(blocker=photo.owner, blocked=user)
    elif kind == "suspended":
        moderation_services.user_suspend(user=photo.owner)
    elif kind == "liked":
        LikeFactory(user=user, photo=photo)
    elif kind == "commented":
        CommentFactory(author=user, photo=photo)


@pytest.mark.parametrize("kind", ["private", "deleted", "blocked", "suspended", "liked", "commented"])
def test_a_photo_hidden_or_seen_since_the_ranking_was_kept_is_not_shown(user, world, kind):
    first = ids(user, size=10)
    gone = Photo.objects.get(pk=first[3])
    _hide(kind, user, gone)
    again = ids(user, size=10)
    assert gone.pk not in again
    # The page is still full: the next photos of the kept ranking take the place.
    assert len(again) == 10 and again[:3] == first[:3] and again[3:9] == first[4:]


def test_a_page_of_a_kept_ranking_looks_further_when_many_went(user, world):
    first = ids(user, size=4)
    ranking = ids(user, size=100)
    for pk in ranking[: 4 + RECHECK_SPARE + 2]:  # more than one check's worth
        LikeFactory(user=user, photo_id=pk)
    page = explore_for(user, size=4)
    assert [item.photo.pk for item in page.items] == ranking[4 + RECHECK_SPARE + 2 : 4 + RECHECK_SPARE + 6]
    assert not set(first) & {item.photo.pk for item in page.items}
    # The next page goes on after it, nothing repeated.
    following = ids(user, size=4, after=page.next_cursor)
    assert following == ranking[4 + RECHECK_SPARE + 6 : 4 + RECHECK_SPARE + 10]


def test_a_reason_naming_a_photo_no_longer_visible_is_dropped(user, world):
    items = explore_for(user, size=30).items
    assert any(r.photo_id == world["anchor"].pk for item in items for r in item.reasons)
    world["anchor"].visibility = Photo.Visibility.PRIVATE
    world["anchor"].save()
    for item in explore_for(user, size=30).items:
        assert item.reasons
        assert all(r.photo_id != world["anchor"].pk and "Low tide" not in r.text for r in item.reasons)


def test_opening_a_photo_keeps_the_grid_still_and_counts_at_the_next_generation(user, world):
    newly = PhotoFactory(caption="Rock pool")
    crowd(4, newly, *world["others"][:10])
    item_model_refresh()
    before = explore_for(user, size=30).items
    opened = before[2].photo
    assert explore_services.photo_view_record(user=user, photo=opened) is not None
    assert explore_services.photo_view_record(user=user, photo=newly) is not None
    # The kept ranking: the opened photo is gone, the others keep their places and reasons.
    kept = [(i.photo.pk, i.reasons) for i in before if i.photo.pk not in {opened.pk, newly.pk}]
    assert [(i.photo.pk, i.reasons) for i in explore_for(user, size=30).items][: len(kept) - 1] == kept[:-1]
    # The model's next refresh takes the views in: a new generation, ranked from them.
    assert item_model_refresh().touched
    texts = {r.text for item in explore_for(user, size=30).items for r in item.reasons}
    assert "People who viewed “Rock pool” also viewed this" in texts


def test_clearing_the_history_drops_the_kept_ranking(user, world):
    assert any(r.kind == "co_view" for item in explore_for(user).items for r in item.reasons)
    explore_services.view_history_clear(user=user)
    assert all(r.kind not in {"co_view", "tag", "category"} for item in explore_for(user).items for r in item.reasons)


def test_new_interactions_in_the_item_model_rank_everyone_again(user, world):
    stranger = UserFactory()
    kept = ids(stranger, size=100)
    newcomer = PhotoFactory()
    crowd(12, newcomer)
    assert newcomer.pk not in ids(stranger, size=100)  # the kept ranking, checked but not re-scored
    report = item_model_refresh()
    assert report.touched or report.full_rebuild
    fresh = ids(stranger, size=100)
    assert newcomer.pk in fresh and fresh != kept


def test_visitors_share_a_ranking_that_is_checked_for_each(world):
    visitor = AnonymousUser()
    first = ids(visitor, size=10)
    owner = Photo.objects.get(pk=first[0]).owner
    owner.is_private = True
    owner.save()
    assert not set(ids(visitor, size=10)) & set(Photo.objects.filter(owner=owner).values_list("pk", flat=True))
