"""The people API: search, deleting one's account, and deleting a comment."""

import pytest
from rest_framework.test import APIClient

from photos.models import Block, Comment, Photo, User
from tests.factories import CommentFactory, FollowFactory, PhotoFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_people_search_api_lists_matches_with_counts_and_follow_status(user, auth_api):
    fran = UserFactory(username="fran", display_name="Frances")
    UserFactory(username="zz", display_name="frank zappa")
    FollowFactory(follower=user, followee=fran)
    response = auth_api.get("/api/v1/users/", {"q": "FRA"})
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [(p["username"], p["follower_count"], p["follow_status"]) for p in body["results"]] == [
        ("fran", 1, "accepted"),
        ("zz", 0, None),
    ]
    assert set(body["results"][0]) == {"id", "username", "display_name", "avatar", "follower_count", "follow_status"}


def test_people_search_api_hides_blocked_people_and_answers_anonymous_visitors(user, auth_api):
    blocker = UserFactory(username="gil")
    Block.objects.create(blocker=blocker, blocked=user)
    assert auth_api.get("/api/v1/users/", {"q": "gil"}).json()["results"] == []
    assert [p["username"] for p in APIClient().get("/api/v1/users/?q=gil").json()["results"]] == ["gil"]
    assert APIClient().get("/api/v1/users/").json() == {"results": [], "next": None}
    assert APIClient().get("/api/v1/users/?q=g&page_size=0").status_code == 400


@pytest.mark.parametrize("count", [2, 15])
def test_people_search_api_query_count_does_not_grow_with_the_page(user, auth_api, count, django_assert_num_queries):
    for n in range(count):
        FollowFactory(followee=UserFactory(username=f"hal{n}"), follower=UserFactory())
    # Session/auth are forced: the count is the search itself.
    with django_assert_num_queries(1):
        response = auth_api.get("/api/v1/users/", {"q": "hal", "page_size": 50})
    assert len(response.json()["results"]) == count


def test_delete_me_needs_the_password_and_deletes_the_account(user):
    api = client_for(user)
    assert api.delete("/api/v1/users/me/", {"password": "wrong"}, format="json").status_code == 400
    assert api.delete("/api/v1/users/me/", {}, format="json").status_code == 400
    assert User.objects.filter(pk=user.pk).exists()
    assert api.delete("/api/v1/users/me/", {"password": PASSWORD}, format="json").status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert APIClient().delete("/api/v1/users/me/", {"password": PASSWORD}, format="json").status_code in (401, 403)


def test_a_comment_is_deleted_by_its_author_or_the_photo_owner_only(user):
    photo = PhotoFactory()
    mine = CommentFactory(author=user, photo=photo)
    theirs = CommentFactory(photo=photo)
    Photo.objects.filter(pk=photo.pk).update(comment_count=2)
    url = "/api/v1/photos/{}/comments/{}/"
    assert client_for(user).delete(url.format(photo.pk, theirs.pk)).status_code == 403
    assert client_for(user).delete(url.format(photo.pk, mine.pk)).status_code == 204
    assert client_for(photo.owner).delete(url.format(photo.pk, theirs.pk)).status_code == 204
    assert not Comment.objects.exists()
    photo.refresh_from_db()
    assert photo.comment_count == 0


def test_deleting_a_comment_on_a_photo_one_cannot_see_is_a_404(user):
    hidden = PhotoFactory(visibility=Photo.Visibility.PRIVATE)
    comment = CommentFactory(author=user, photo=hidden)
    other = PhotoFactory()
    response = client_for(user).delete(f"/api/v1/photos/{hidden.pk}/comments/{comment.pk}/")
    assert response.status_code == 404
    # The comment exists, but not under that photo.
    assert client_for(user).delete(f"/api/v1/photos/{other.pk}/comments/{comment.pk}/").status_code == 404
    assert Comment.objects.filter(pk=comment.pk).exists()


def test_me_api_reads_and_writes_the_show_sensitive_preference_which_other_people_do_not_see(user, auth_api):
    assert auth_api.get("/api/v1/users/me/").json()["show_sensitive"] is False
    response = auth_api.patch("/api/v1/users/me/", {"show_sensitive": True}, format="json")
    assert response.status_code == 200 and response.json()["show_sensitive"] is True
    user.refresh_from_db()
    assert user.show_sensitive is True
    assert auth_api.patch("/api/v1/users/me/", {"show_sensitive": "maybe"}, format="json").status_code == 400
    assert auth_api.patch("/api/v1/users/me/", {"bio": "hello"}, format="json").json()["show_sensitive"] is True
    other = client_for(UserFactory())
    assert "show_sensitive" not in other.get(f"/api/v1/users/{user.username}/").json()
    response = auth_api.patch("/api/v1/users/me/", {"show_sensitive": False}, format="json")
    assert response.json()["show_sensitive"] is False
