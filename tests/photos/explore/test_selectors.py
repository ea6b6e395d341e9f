"""Explore: co-views, content, popularity, visibility, truthful reasons, history controls, query counts."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from photos.explore import services as explore_services
from photos.explore.item_model import item_model_rebuild
from photos.explore.selectors import POPULARITY_ONLY, Cursor, Reason, explore_for, ranked_for
from photos.models import Block, Photo, PhotoView
from tests.factories import (
    CommentFactory,
    FollowFactory,
    LikeFactory,
    PhotoFactory,
    PhotoTagFactory,
    TagFactory,
    UserFactory,
)
from tests.helpers import client_for, crowd, view

pytestmark = pytest.mark.django_db


def ids(viewer, **kwargs) -> list[int]:
    return [item.photo.pk for item in explore_for(viewer, **kwargs).items]


def item_for(viewer, photo):
    return next(item for item in explore_for(viewer, size=100).items if item.photo.pk == photo.pk)


def test_co_view_recommends_what_others_viewed_together(user):
    anchor, together, elsewhere = PhotoFactory(caption="Sunset at the pier"), PhotoFactory(), PhotoFactory()
    crowd(4, anchor, together)
    crowd(4, elsewhere)
    view(user, anchor)
    item_model_rebuild()
    assert ids(user)[0] == together.pk
    reason = item_for(user, together).reasons[0]
    assert reason.kind == "co_view" and reason.photo_id == anchor.pk and reason.count is None  # a few
    assert reason.text == "People who viewed “Sunset at the pier” also viewed this"


def test_one_shared_viewer_is_not_enough_to_make_neighbours(user):
    anchor, together = PhotoFactory(), PhotoFactory()
    crowd(1, anchor, together)
    view(user, anchor)
    item_model_rebuild()
    assert all(reason.kind != "co_view" for item in explore_for(user).items for reason in item.reasons)


def test_new_person_gets_popular_photos_then_the_rest_with_honest_reasons(user):
    popular, quieter, unseen = PhotoFactory(), PhotoFactory(), PhotoFactory()
    crowd(10, popular)
    crowd(2, quieter)
    item_model_rebuild()
    items = explore_for(user).items
    assert [item.photo.pk for item in items] == [popular.pk, quieter.pk, unseen.pk]
    assert items[0].reasons == [Reason("popular", "Popular this week", count=10)]
    # Two views are not "popular", and a photo nobody viewed is offered as new (the live ranking).
    assert items[1].reasons == [Reason("recent", "Viewed by others lately")]
    assert items[2].reasons == [Reason("recent", "New on socialsite")]


@pytest.mark.parametrize(("viewers", "count"), [(9, None), (10, 10)])
def test_counts_of_other_people_below_ten_are_not_exact(client, user, viewers, count):
    anchor, together = PhotoFactory(caption="Sunset at the pier"), PhotoFactory()
    popular = PhotoFactory()
    crowd(viewers, anchor, together)
    crowd(viewers, popular)
    view(user, anchor)
    item_model_rebuild()
    co_view = item_for(user, together).reasons[0]
    assert co_view.kind == "co_view" and co_view.count == count
    assert co_view.text == "People who viewed “Sunset at the pier” also viewed this"
    # Fewer than ten views this week is not called popular.
    text = "Popular this week" if count else "Viewed by others lately"
    assert [(r.text, r.count) for r in item_for(user, popular).reasons] == [(text, count)]
    results = {
        item["photo"]["id"]: item["reasons"]
        for item in client_for(user).get("/api/v1/recommendations/").json()["results"]
    }
    assert [(r["kind"], r["count"]) for r in results[together.pk]] == [("co_view", count)]
    assert [r["count"] for r in results[popular.pk]] == [count]
    client.force_login(user)
    html = client.get("/explore/").content.decode()
    assert (text in html) and ("(10 views)" in html) is (count == 10) and "(9 views)" not in html


def test_old_popularity_is_not_called_popular(user):
    photo = PhotoFactory()
    for person in UserFactory.create_batch(12):
        view(person, photo, days_ago=30)
    item_model_rebuild()
    assert item_for(user, photo).reasons == [Reason("recent", "Viewed by others")]


def test_content_reason_counts_the_tagged_photos_of_the_history(user):
    beach = TagFactory(name="beach", categories=["landscape", "nature"])
    seen = [PhotoTagFactory(tag=beach).photo for _ in range(3)]
    view(user, *seen[:2])
    LikeFactory(user=user, photo=seen[2])
    candidate = PhotoTagFactory(tag=beach).photo
    crowd(2, candidate)  # in the beach pool, not co-viewed with anything the person saw
    item_model_rebuild()
    reasons = item_for(user, candidate).reasons
    assert reasons[0].kind == "tag" and reasons[0].tag == "beach" and reasons[0].count == 3
    assert reasons[0].text == "Because you viewed or liked 3 photos tagged beach"


def test_category_reason_when_only_the_category_matches(user):
    dog, cat = TagFactory(name="dog", categories=["animal", "pet"]), TagFactory(name="cat", categories=["animal"])
    seen = [PhotoTagFactory(tag=dog).photo for _ in range(2)]
    view(user, *seen)
    candidate = PhotoTagFactory(tag=cat).photo
    crowd(2, candidate)
    item_model_rebuild()
    content = [reason for reason in item_for(user, candidate).reasons if reason.kind in {"tag", "category"}]
    assert [(reason.text, reason.count) for reason in content] == [("Because you viewed 2 animal photos", 2)]


@pytest.fixture
def visibility_world(user):
    """The person viewed an anchor; others co-viewed it with photos of every kind of visibility."""
    owner, blocker = UserFactory(username="owner"), UserFactory(username="blocker")
    FollowFactory(follower=user, followee=owner)
    anchor = PhotoFactory()
    photos = {visibility: PhotoFactory(owner=owner, visibility=visibility) for visibility in Photo.Visibility.values}
    photos["stranger_followers"] = PhotoFactory(visibility=Photo.Visibility.FOLLOWERS)
    photos["hidden"] = PhotoFactory(is_hidden=True)
    photos["blocked"] = PhotoFactory(owner=blocker)
    photos["own"] = PhotoFactory(owner=user)
    photos["seen"] = PhotoFactory()
    photos["liked"] = PhotoFactory()
    photos["commented"] = PhotoFactory()
    Block.objects.create(blocker=blocker, blocked=user)
    crowd(4, anchor, *photos.values())
    view(user, anchor, photos["seen"])
    LikeFactory(user=user, photo=photos["liked"])
    CommentFactory(author=user, photo=photos["commented"])
    item_model_rebuild()
    return photos


def shown(viewer, photos) -> set[str]:
    recommended = {pk for pk, _, _ in ranked_for(viewer)}
    return {name for name, photo in photos.items() if photo.pk in recommended}


def test_only_photos_the_person_may_see_and_has_not_seen_appear(user, visibility_world):
    assert shown(user, visibility_world) == {"public", "followers"}


def test_visibility_differs_between_follower_stranger_and_visitor(visibility_world):
    owner = visibility_world["public"].owner
    follower, stranger = UserFactory(), UserFactory()
    FollowFactory(follower=follower, followee=owner)
    public_elsewhere = {"seen", "liked", "commented", "own", "blocked"}  # only the first person saw or is blocked
    assert shown(follower, visibility_world) == {"public", "followers"} | public_elsewhere
    assert shown(stranger, visibility_world) == {"public"} | public_elsewhere
    assert shown(AnonymousUser(), visibility_world) == {"public"} | public_elsewhere
    assert not shown(owner, visibility_world) & {"public", "followers", "private"}  # never one's own photos
    owner.is_private = True
    owner.save()
    assert shown(stranger, visibility_world) == public_elsewhere


def test_an_anchor_made_private_is_neither_used_nor_named(user):
    anchor, together = PhotoFactory(caption="Secret garden"), PhotoFactory()
    crowd(4, anchor, together)
    view(user, anchor)
    item_model_rebuild()
    assert item_for(user, together).reasons[0].kind == "co_view"
    anchor.visibility = Photo.Visibility.PRIVATE
    anchor.save()
    # The ranking kept from the first visit is checked again: its reason naming the anchor goes, and
    # with it the photo, which had no other.
    assert together.pk not in ids(user, size=100)
    # Scored again (the kept ranking expired): there for other reasons.
    cache.clear()
    reasons = item_for(user, together).reasons
    assert all(reason.kind != "co_view" and "Secret" not in reason.text for reason in reasons)


def test_no_owner_fills_the_grid(user):
    anchor, prolific = PhotoFactory(), UserFactory()
    crowd(4, anchor, *[PhotoFactory(owner=prolific) for _ in range(4)])
    view(user, anchor)
    item_model_rebuild()
    owners = [item.photo.owner_id for item in explore_for(user).items]
    assert owners.count(prolific.pk) == 2


def test_blend_beats_popularity_for_a_planted_taste(user):
    anchor, niche = PhotoFactory(), PhotoFactory()
    crowd(4, anchor, niche)
    crowd(8, PhotoFactory())  # more popular, unrelated
    view(user, anchor)
    item_model_rebuild()
    assert ids(user)[0] == niche.pk
    assert ids(user, weights=POPULARITY_ONLY)[0] != niche.pk


def test_pages_follow_the_cursor_without_repeats(user):
    for _ in range(7):
        crowd(2, PhotoFactory())
    item_model_rebuild()
    first = explore_for(user, size=4)
    second = explore_for(user, size=4, after=first.next_cursor)
    assert len(first.items) == 4 and len(second.items) == 3 and second.next_cursor is None
    assert not {i.photo.pk for i in first.items} & {i.photo.pk for i in second.items}
    assert Cursor.decode(first.next_cursor.encode()) == first.next_cursor


@pytest.fixture
def rich_history(user):
    """A person with views, a like and a comment, and enough co-viewed, tagged photos to fill pages."""
    tag = TagFactory(name="beach", categories=["landscape"])
    anchors = [PhotoTagFactory(tag=tag).photo for _ in range(3)]
    others = [PhotoTagFactory(tag=tag).photo for _ in range(25)]
    crowd(4, *anchors, *others)
    view(user, anchors[0])
    LikeFactory(user=user, photo=anchors[1])
    CommentFactory(author=user, photo=anchors[2])
    item_model_rebuild()


@pytest.mark.parametrize("size", [2, 20])
def test_recommendations_run_a_fixed_number_of_queries(user, rich_history, size, django_assert_num_queries):
    # history, its tags, neighbours, pools, the visible shortlist, the look-alike fill (the anchors'
    # and never-viewed photos' embeddings), the live fill (the model has fewer than MAX_RESULTS
    # here), page photos, their tags
    with django_assert_num_queries(9):
        assert len(explore_for(user, size=size).items) == size
    # visitors: pools, the visible shortlist, the live fill, page photos, their tags
    with django_assert_num_queries(5):
        assert len(explore_for(AnonymousUser(), size=size).items) == size


@pytest.mark.parametrize("size", [2, 20])
def test_api_returns_photos_scores_and_reasons_in_fixed_queries(user, rich_history, size, django_assert_num_queries):
    api = client_for(user)
    with django_assert_num_queries(9):
        response = api.get(f"/api/v1/recommendations/?page_size={size}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next"} and len(body["results"]) == size
    first = body["results"][0]
    assert set(first) == {"photo", "score", "reasons"} and first["photo"]["tags"][0]["name"] == "beach"
    assert first["reasons"] and {"kind", "text", "photo_id", "tag", "count"} == set(first["reasons"][0])
    assert body["next"] and api.get(body["next"]).status_code == 200


def test_api_rejects_a_made_up_cursor_and_serves_visitors_popular_photos(api, rich_history):
    assert api.get("/api/v1/recommendations/?cursor=nonsense").status_code == 400
    results = api.get("/api/v1/recommendations/").json()["results"]
    # Four viewers each: not "popular" (fewer than ten views this week), but offered.
    assert results and all(
        reason["text"] == "Viewed by others lately" for result in results for reason in result["reasons"]
    )


def test_explore_page_shows_the_grid_with_reasons(client, user, rich_history):
    client.force_login(user)
    html = client.get("/explore/").content.decode()
    assert "People who viewed" in html and "Because you" in html and 'class="reason"' in html
    assert client.get("/explore/", {"cursor": "garbage"}).status_code == 200  # a mangled link shows page one
    client.logout()
    assert "Viewed by others lately" in client.get("/explore/").content.decode()


def test_view_recording_is_one_insert_and_repeats_touch_no_table(user, django_assert_num_queries):
    photo = PhotoFactory()
    with django_assert_num_queries(1):
        assert explore_services.photo_view_record(user=user, photo=photo) is not None
    with django_assert_num_queries(0):
        assert explore_services.photo_view_record(user=user, photo=photo) is None


def test_pausing_resuming_and_clearing_history_in_the_browser(client, user):
    photo, other = PhotoFactory(), PhotoFactory()
    client.force_login(user)
    assert client.post("/accounts/history/pause/", {"paused": "1"}).status_code == 302
    client.get(f"/p/{photo.pk}/")
    assert not PhotoView.objects.filter(user=user).exists()
    client.post("/accounts/history/pause/", {"paused": "0"})
    client.get(f"/p/{other.pk}/")
    assert PhotoView.objects.filter(user=user).count() == 1
    # Without the confirmation (no JavaScript), the server asks first and deletes nothing.
    asked = client.post("/accounts/history/clear/")
    assert asked.status_code == 200 and "Clear your history?" in asked.content.decode()
    assert 'name="confirmed" value="1"' in asked.content.decode()
    assert PhotoView.objects.filter(user=user).count() == 1
    assert "Clear your history?" in client.get("/accounts/history/clear/").content.decode()
    response = client.post("/accounts/history/clear/", {"confirmed": "1"}, follow=True)
    assert "1 viewed photo forgotten" in response.content.decode()
    assert not PhotoView.objects.filter(user=user).exists()


def test_history_api_shows_interests_and_pauses_and_clears(user):
    api, beach = client_for(user), TagFactory(name="beach", categories=["landscape"])
    view(user, *[PhotoTagFactory(tag=beach).photo for _ in range(2)], PhotoFactory())
    body = api.get("/api/v1/users/me/history/").json()
    assert body["paused"] is False and body["photos"] == 3
    assert body["tags"][0]["name"] == "beach" and body["tags"][0]["photos"] == 2
    assert body["categories"][0]["name"] == "landscape"
    assert api.patch("/api/v1/users/me/history/", {"paused": True}, format="json").json()["paused"] is True
    user.refresh_from_db()
    assert user.history_paused
    assert api.delete("/api/v1/users/me/history/").status_code == 204
    assert api.get("/api/v1/users/me/history/").json()["photos"] == 0
    assert client_for(UserFactory()).get("/api/v1/users/me/history/").json()["photos"] == 0


def test_interests_chart_is_on_the_owners_profile_only(client, user):
    beach = TagFactory(name="beach", categories=["landscape"])
    view(user, PhotoTagFactory(tag=beach).photo)
    client.force_login(user)
    html = client.get(f"/u/{user.username}/").content.decode()
    assert "Your interests" in html and "<svg" in html and "beach" in html
    assert "Pause history" in html and "Clear history" in html
    client.force_login(UserFactory())
    assert "Your interests" not in client.get(f"/u/{user.username}/").content.decode()
