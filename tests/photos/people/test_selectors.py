"""People search and follow suggestions: matching, ranking, blocks, and fixed query counts."""

import pytest
from django.contrib.auth.models import AnonymousUser

from photos.models import Block, Follow, Photo
from photos.people.selectors import people_search, people_suggested, suggested_photos
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, TagFactory, UserFactory
from tests.helpers import client_for, view

pytestmark = pytest.mark.django_db


def names(people) -> list[str]:
    return [person.username for person in people]


def test_search_matches_username_and_display_name_prefix_in_any_case():
    UserFactory(username="annabel")
    UserFactory(username="zed", display_name="Anna Lee")
    UserFactory(username="bob", display_name="Bob Annan")  # a later word of the name counts too
    UserFactory(username="joanna")  # "ann" inside a word is not a prefix
    found = names(people_search(AnonymousUser(), "ANN"))
    assert sorted(found) == ["annabel", "bob", "zed"]
    assert names(people_search(AnonymousUser(), "@annab")) == ["annabel"]
    assert people_search(AnonymousUser(), "   ") == []


def test_search_puts_the_exact_username_first_then_the_most_followed():
    UserFactory(username="sam")
    samantha = UserFactory(username="samantha")
    samuel = UserFactory(username="samuel")
    FollowFactory.create_batch(2, followee=samuel)
    FollowFactory(followee=samantha)
    found = people_search(AnonymousUser(), "Sam")
    assert names(found) == ["sam", "samuel", "samantha"]
    assert [person.follower_count for person in found] == [0, 2, 1]


def test_search_never_shows_people_in_a_block_either_way_nor_inactive_ones(user):
    blocked = UserFactory(username="carla")
    blocker = UserFactory(username="carlos")
    UserFactory(username="carmen", is_active=False)
    kept = UserFactory(username="caro")
    Block.objects.create(blocker=user, blocked=blocked)
    Block.objects.create(blocker=blocker, blocked=user)
    assert names(people_search(user, "car")) == [kept.username]
    assert sorted(names(people_search(AnonymousUser(), "car"))) == ["carla", "carlos", "caro"]


def test_search_tells_the_viewers_follow_status(user):
    followed = UserFactory(username="dora")
    asked = UserFactory(username="doris", is_private=True)
    UserFactory(username="dot")
    FollowFactory(follower=user, followee=followed)
    FollowFactory(follower=user, followee=asked, status=Follow.Status.PENDING)
    statuses = {person.username: person.follow_status for person in people_search(user, "do")}
    assert statuses == {"dora": "accepted", "doris": "pending", "dot": None}


@pytest.mark.parametrize("count", [1, 20])
def test_search_runs_one_query_whatever_the_page_size(user, count, django_assert_num_queries):
    for n in range(count):
        FollowFactory(followee=UserFactory(username=f"eve{n}"))
    Block.objects.create(blocker=user, blocked=UserFactory(username="eve_blocked"))
    with django_assert_num_queries(1):
        found = people_search(user, "eve", size=50)
        assert len(found) == count


def test_suggestions_rank_friends_of_friends_then_shared_tastes_then_the_most_followed(user):
    friend = UserFactory()
    FollowFactory(follower=user, followee=friend)
    via_friend = UserFactory(username="via_friend")
    FollowFactory(follower=friend, followee=via_friend)
    taste = UserFactory(username="taste")
    cat = TagFactory(name="cat")
    PhotoTagFactory(photo=PhotoFactory(owner=user), tag=cat)
    PhotoTagFactory(photo=PhotoFactory(owner=taste), tag=cat)
    viewed_taste = UserFactory(username="viewed_taste")
    coffee = TagFactory(name="coffee")
    viewed = PhotoFactory()
    PhotoTagFactory(photo=viewed, tag=coffee)
    view(user, viewed)
    PhotoTagFactory(photo=PhotoFactory(owner=viewed_taste), tag=coffee)
    popular = UserFactory(username="popular")
    FollowFactory.create_batch(3, followee=popular)
    suggested = people_suggested(user, size=50)
    order = names(s.person for s in suggested)
    assert order.index("via_friend") < order.index("taste") < order.index("popular")
    assert order.index("viewed_taste") < order.index("popular")
    reasons = {s.person.username: s.reason for s in suggested}
    assert reasons["via_friend"] == "Followed by 1 person you follow"
    assert reasons["taste"] == "Posts photos of things you post and look at"
    assert reasons["popular"] == "Popular: 3 followers"


def test_suggestions_never_offer_blocked_followed_requested_or_unknown_private_accounts(user):
    followed = UserFactory()
    FollowFactory(follower=user, followee=followed)
    requested = UserFactory(is_private=True)
    FollowFactory(follower=user, followee=requested, status=Follow.Status.PENDING)
    blocked, blocker = UserFactory(), UserFactory()
    Block.objects.create(blocker=user, blocked=blocked)
    Block.objects.create(blocker=blocker, blocked=user)
    stranger_private = UserFactory(is_private=True)
    friends_private = UserFactory(is_private=True)
    FollowFactory(follower=followed, followee=friends_private)
    inactive = UserFactory(is_active=False)
    for person in (blocked, blocker, stranger_private, inactive, requested):
        FollowFactory.create_batch(2, followee=person)
    suggested = {s.person.pk for s in people_suggested(user, size=100)}
    assert friends_private.pk in suggested
    assert suggested.isdisjoint({user.pk, followed.pk, requested.pk, blocked.pk, blocker.pk, stranger_private.pk})
    assert inactive.pk not in suggested


def test_shared_tastes_count_only_photos_the_person_may_see(user):
    cat = TagFactory(name="cat")
    PhotoTagFactory(photo=PhotoFactory(owner=user), tag=cat)
    secretive = UserFactory(username="secretive")
    PhotoTagFactory(photo=PhotoFactory(owner=secretive, visibility=Photo.Visibility.PRIVATE), tag=cat)
    assert "secretive" not in names(s.person for s in people_suggested(user))  # the private photo tells nothing
    PhotoFactory(owner=secretive)
    reasons = {s.person.username: s.reason for s in people_suggested(user)}
    assert reasons["secretive"] == "Shares photos you can see"


def test_suggestions_leave_out_accounts_with_nothing_to_show(user):
    empty = UserFactory()
    follower_only = UserFactory()
    FollowFactory(follower=follower_only, followee=UserFactory())  # follows someone, followed by nobody
    suggested = {s.person.pk for s in people_suggested(user, size=100)}
    assert empty.pk not in suggested and follower_only.pk not in suggested


def test_suggestions_cost_the_same_queries_for_few_or_many_people(user, django_assert_num_queries):
    FollowFactory(follower=user, followee=UserFactory())
    PhotoFactory.create_batch(2)
    with django_assert_num_queries(1):
        assert len(people_suggested(user)) == 2
    PhotoFactory.create_batch(10)
    with django_assert_num_queries(1):
        assert len(people_suggested(user, size=12)) == 12


def test_suggested_photos_are_others_public_photos_through_the_visibility_rule(user):
    public = PhotoFactory()
    PhotoFactory(owner=user)
    PhotoFactory(visibility=Photo.Visibility.FOLLOWERS)
    PhotoFactory(owner=UserFactory(is_private=True))
    blocked_photo = PhotoFactory()
    Block.objects.create(blocker=blocked_photo.owner, blocked=user)
    assert [photo.pk for photo in suggested_photos(user)] == [public.pk]


def test_a_profile_is_found_by_its_name_in_any_case_and_redirects_to_one_address(client):
    """A mention typed @Bob links to /u/Bob/: it reaches bob, at bob's one address."""
    bob = UserFactory(username="bob")
    PhotoFactory(owner=bob)
    response = client.get("/u/Bob/")
    assert response.status_code == 301
    assert response["Location"] == "/u/bob/"
    assert client.get("/u/bob/").status_code == 200
    assert client.get("/u/BOB/followers/").context["owner"] == bob
    assert client.get("/api/v1/users/bOb/").json()["username"] == "bob"
    assert client.get("/u/bobby/").status_code == 404


def test_following_and_blocking_by_name_ignore_case(user):
    bob = UserFactory(username="bob")
    api = client_for(user)
    assert api.post("/api/v1/users/BOB/follow/").status_code in (200, 201)
    assert Follow.objects.filter(follower=user, followee=bob).exists()
    assert api.post("/api/v1/users/Bob/block/").status_code in (200, 201)
    assert Block.objects.filter(blocker=user, blocked=bob).exists()
