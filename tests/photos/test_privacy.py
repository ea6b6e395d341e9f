"""Private accounts with follow requests, and blocking: services, API and pages."""

import pytest
from django.core.exceptions import ValidationError

from photos import selectors, services
from photos.models import Block, Comment, Follow, Like
from photos.people import services as account_services
from tests.factories import CommentFactory, FollowFactory, PhotoFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return UserFactory(username="olga", is_private=True)


@pytest.fixture
def requester(owner):
    person = UserFactory(username="rita")
    services.follow_create(follower=person, followee=owner)
    return person


def visible_ids(viewer):
    return set(selectors.photos_visible_to(viewer).values_list("pk", flat=True))


# Follow requests: services ------------------------------------------------------------------


def test_approving_a_request_lets_the_follower_see_the_private_account(owner, requester):
    public, followers = PhotoFactory(owner=owner), PhotoFactory(owner=owner, visibility="followers")
    private = PhotoFactory(owner=owner, visibility="private")
    assert Follow.objects.get(follower=requester).status == "pending"
    assert not visible_ids(requester) & {public.pk, followers.pk, private.pk}

    follow = services.follow_request_approve(owner=owner, follower=requester)

    assert follow.status == "accepted"
    assert visible_ids(requester) >= {public.pk, followers.pk}
    assert private.pk not in visible_ids(requester)


def test_approve_refuses_what_is_not_a_pending_request(owner, requester, user):
    with pytest.raises(ValidationError):
        services.follow_request_approve(owner=owner, follower=user)
    services.follow_request_approve(owner=owner, follower=requester)
    with pytest.raises(ValidationError):
        services.follow_request_approve(owner=owner, follower=requester)


def test_decline_removes_only_pending_requests(owner, requester, user):
    FollowFactory(follower=user, followee=owner)
    assert services.follow_request_decline(owner=owner, follower=requester) is True
    assert services.follow_request_decline(owner=owner, follower=requester) is False
    assert services.follow_request_decline(owner=owner, follower=user) is False
    assert list(Follow.objects.values_list("follower__username", "status")) == [(user.username, "accepted")]


def test_going_public_accepts_waiting_requests(owner, requester):
    account_services.user_update(user=owner, is_private=False)
    assert Follow.objects.get(follower=requester).status == "accepted"


# Follow requests: API -------------------------------------------------------------------------


def test_owner_lists_approves_and_declines_requests_through_the_api(owner, requester):
    other = UserFactory(username="sam")
    services.follow_create(follower=other, followee=owner)
    api = client_for(owner)

    body = api.get("/api/v1/users/me/follow-requests/").json()
    assert [r["user"]["username"] for r in body["results"]] == ["sam", "rita"] and body["next"] is None

    response = api.post("/api/v1/users/me/follow-requests/rita/approve/")
    assert response.status_code == 200
    assert response.json() == {"user": response.json()["user"], "status": "accepted"}
    assert response.json()["user"]["username"] == "rita"
    assert api.delete("/api/v1/users/me/follow-requests/sam/").status_code == 204

    assert api.get("/api/v1/users/me/follow-requests/").json()["results"] == []
    assert api.post("/api/v1/users/me/follow-requests/sam/approve/").status_code == 404
    assert api.delete("/api/v1/users/me/follow-requests/rita/").status_code == 404
    assert client_for(requester).get("/api/v1/users/olga/").json()["follow_status"] == "accepted"
    assert not Follow.objects.filter(follower=other).exists()


def test_requests_are_the_owners_business_only(owner, requester, api):
    assert api.get("/api/v1/users/me/follow-requests/").status_code in (401, 403)
    stranger = client_for(UserFactory())
    assert stranger.get("/api/v1/users/me/follow-requests/").json()["results"] == []
    assert stranger.post("/api/v1/users/me/follow-requests/rita/approve/").status_code == 404
    # The requester cannot approve themselves from their side either.
    assert client_for(requester).post("/api/v1/users/me/follow-requests/olga/approve/").status_code == 404
    assert Follow.objects.get(follower=requester).status == "pending"


# Follow requests: pages ---------------------------------------------------------------------


def test_owner_approves_and_declines_from_the_requests_page(client, owner, requester):
    other = UserFactory(username="sam")
    services.follow_create(follower=other, followee=owner)
    client.force_login(owner)

    profile = client.get("/u/olga/").content.decode()
    assert 'href="/accounts/requests/"' in profile and "2 follow requests" in profile
    page = client.get("/accounts/requests/").content.decode()
    assert "rita" in page and "sam" in page and ">Approve</button>" in page and ">Decline</button>" in page

    assert client.post("/accounts/requests/rita/approve/").status_code == 302
    assert client.post("/accounts/requests/sam/decline/").status_code == 302
    assert client.get("/accounts/requests/rita/approve/").status_code == 405
    assert Follow.objects.get(follower=requester).status == "accepted"
    assert not Follow.objects.filter(follower=other).exists()
    assert "/accounts/requests/" not in client.get("/u/olga/").content.decode()


def test_others_never_see_the_requests_link(client, owner, requester):
    client.force_login(requester)
    html = client.get("/u/olga/").content.decode()
    assert "/accounts/requests/" not in html and "Cancel follow request" in html


# Blocking ---------------------------------------------------------------------------------------


def test_block_ends_follows_both_ways_and_is_idempotent(user, other_user):
    FollowFactory(follower=user, followee=other_user)
    FollowFactory(follower=other_user, followee=user, status="pending")

    first = services.block_create(blocker=user, blocked=other_user)
    again = services.block_create(blocker=user, blocked=other_user)

    assert first.pk == again.pk and Block.objects.count() == 1
    assert not Follow.objects.exists()
    with pytest.raises(ValidationError):
        services.follow_create(follower=other_user, followee=user)
    with pytest.raises(ValidationError):
        services.follow_create(follower=user, followee=other_user)
    with pytest.raises(ValidationError):
        services.block_create(blocker=user, blocked=user)
    assert services.block_delete(blocker=user, blocked=other_user) is True
    assert services.block_delete(blocker=user, blocked=other_user) is False
    assert not Follow.objects.exists()


def test_blocked_person_loses_profile_photos_follow_like_and_comment(user, other_user):
    photo = PhotoFactory(owner=user)
    blocked = client_for(other_user)
    assert blocked.get(f"/api/v1/users/{user.username}/").status_code == 200

    assert client_for(user).post(f"/api/v1/users/{other_user.username}/block/").status_code == 201

    assert blocked.get(f"/api/v1/users/{user.username}/").status_code == 404
    assert blocked.get(f"/api/v1/photos/{photo.pk}/").status_code == 404
    assert blocked.post(f"/api/v1/users/{user.username}/follow/").status_code == 404
    assert blocked.post(f"/api/v1/photos/{photo.pk}/like/").status_code == 404
    assert blocked.post(f"/api/v1/photos/{photo.pk}/comments/", {"text": "hi"}, format="json").status_code == 404
    assert not Like.objects.exists() and not Comment.objects.exists() and not Follow.objects.exists()
    # ...and the blocker no longer sees them either.
    assert client_for(user).get(f"/api/v1/users/{other_user.username}/").status_code == 404


def test_block_api_lists_and_unblocks(user, other_user):
    api = client_for(user)
    assert api.post(f"/api/v1/users/{other_user.username}/block/").json() == {"blocked": True}
    body = api.get("/api/v1/users/me/blocks/").json()
    assert [b["user"]["username"] for b in body["results"]] == [other_user.username]
    assert api.post(f"/api/v1/users/{user.username}/block/").status_code == 400
    assert api.post("/api/v1/users/nobody/block/").status_code == 404
    assert api.delete(f"/api/v1/users/{other_user.username}/block/").status_code == 204
    assert api.get(f"/api/v1/users/{other_user.username}/").status_code == 200
    assert api.get("/api/v1/users/me/blocks/").json()["results"] == []


def test_people_in_a_block_vanish_from_lists_and_comments(user, other_user):
    star = UserFactory(username="star")
    FollowFactory(follower=user, followee=star)
    FollowFactory(follower=other_user, followee=star)
    photo = PhotoFactory(owner=star)
    CommentFactory(photo=photo, author=other_user, text="from the blocked one")
    CommentFactory(photo=photo, author=user, text="from the blocker")
    services.block_create(blocker=user, blocked=other_user)

    for viewer, hidden in ((user, other_user), (other_user, user)):
        api = client_for(viewer)
        followers = [u["username"] for u in api.get("/api/v1/users/star/followers/").json()["results"]]
        assert hidden.username not in followers and viewer.username in followers
        texts = [c["author"]["username"] for c in api.get(f"/api/v1/photos/{photo.pk}/comments/").json()["results"]]
        assert texts == [viewer.username]
    assert len(client_for(star).get(f"/api/v1/photos/{photo.pk}/comments/").json()["results"]) == 2


def test_block_and_unblock_buttons_on_profiles(client, user, other_user):
    client.force_login(user)
    html = client.get(f"/u/{other_user.username}/").content.decode()
    assert ">Block</button>" in html and f'action="/u/{other_user.username}/block/"' in html
    assert ">Block</button>" not in client.get(f"/u/{user.username}/").content.decode()

    assert client.post(f"/u/{other_user.username}/block/").status_code == 302
    blocked_page = client.get(f"/u/{other_user.username}/")
    assert blocked_page.status_code == 200 and ">Unblock</button>" in blocked_page.content.decode()
    assert blocked_page.context["owner"] == other_user and "page" not in blocked_page.context

    client.force_login(other_user)
    assert client.get(f"/u/{user.username}/").status_code == 404
    assert client.post(f"/u/{user.username}/unblock/").status_code == 404  # only the blocker unblocks

    client.force_login(user)
    assert client.post(f"/u/{other_user.username}/unblock/").status_code == 302
    assert ">Block</button>" in client.get(f"/u/{other_user.username}/").content.decode()


def test_blocking_yourself_from_a_page_explains_instead_of_failing(client, user):
    client.force_login(user)
    response = client.post(f"/u/{user.username}/block/", follow=True)
    assert response.status_code == 200 and "cannot block yourself" in response.content.decode()
    assert not Block.objects.exists()


def test_privacy_endpoints_are_in_the_openapi_schema(api):
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    assert set(paths["/api/v1/users/me/follow-requests/"]) == {"get"}
    assert set(paths["/api/v1/users/me/follow-requests/{username}/approve/"]) == {"post"}
    assert set(paths["/api/v1/users/me/follow-requests/{username}/"]) == {"delete"}
    assert set(paths["/api/v1/users/{username}/block/"]) == {"post", "delete"}
    assert set(paths["/api/v1/users/me/blocks/"]) == {"get"}
