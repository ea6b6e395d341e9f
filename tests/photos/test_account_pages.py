"""Pages about people and one's own account: people search, suggestions, lists, private profiles,
email, password change and reset, account deletion, caption edit, comment deletion, error pages."""

import re

import pytest
from django.core import mail
from django.test import RequestFactory

from photos.apis.errors import server_error
from photos.models import Block, Comment, Follow, Photo, PhotoTag, User
from photos.search.selectors import parse_query, search_page
from tests.factories import CommentFactory, FollowFactory, PhotoFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def test_search_page_shows_people_above_photos_with_follow_buttons(client, user):
    UserFactory(username="ivy", display_name="Ivy Stone")
    blocked = UserFactory(username="ivan")
    Block.objects.create(blocker=blocked, blocked=user)
    PhotoFactory(caption="ivy on the wall")
    client.force_login(user)
    html = client.get("/search/", {"q": "Ivy"}).content.decode()
    assert html.index(">People</h2>") < html.index(">Photos</h2>")
    people = html[html.index(">People</h2>") : html.index(">Photos</h2>")]
    assert "@ivy" in people and "Ivy Stone" in people and ">Follow</button>" in people
    assert "ivan" not in html


@pytest.mark.parametrize("count", [1, 6])
def test_search_page_people_cost_one_query_whatever_their_number(client, user, count, django_assert_num_queries):
    for n in range(count):
        UserFactory(username=f"jo{n}")
    client.force_login(user)
    client.get("/search/", {"q": "jo"})  # warm the session
    # session, user, the people, the photo search's page, the header's unread badge
    with django_assert_num_queries(5):
        response = client.get("/search/", {"q": "jo"})
    assert len(response.context["people"]) == count


def test_a_new_persons_empty_feed_suggests_people_and_photos_and_following_returns_to_it(client, user):
    popular = UserFactory(username="kim", display_name="Kim")
    FollowFactory.create_batch(2, followee=popular)
    photo = PhotoFactory(owner=popular, caption="sunset")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "People you may like" in html and "Kim" in html and "Popular: 2 followers" in html
    assert f"/p/{photo.pk}/" in html
    response = client.post("/u/kim/follow/", {"next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert Follow.objects.filter(follower=user, followee=popular).exists()
    # Elsewhere is not a place to go back to.
    assert client.post("/u/kim/follow/", {"next": "https://evil.example/"})["Location"] == "/u/kim/"


def test_followers_lists_show_avatars_names_and_follow_buttons(client, user, django_assert_num_queries):
    owner = UserFactory(username="lea")
    followed_back = UserFactory(username="max", display_name="Max M")
    FollowFactory(follower=followed_back, followee=owner)
    FollowFactory(follower=UserFactory(username="ned"), followee=owner)
    FollowFactory(follower=user, followee=followed_back)
    client.force_login(user)
    html = client.get("/u/lea/followers/").content.decode()
    assert 'class="avatar small placeholder"' in html and "Max M" in html
    max_item = html[html.index("@max") : html.index("</li>", html.index("@max"))]
    ned_item = html[html.index("@ned") : html.index("</li>", html.index("@ned"))]
    assert ">Unfollow</button>" in max_item and ">Follow</button>" in ned_item
    FollowFactory.create_batch(10, followee=owner)
    # session, user, profile with counts, visible photo count, page count, follows with the visitor's status
    with django_assert_num_queries(7):  # + the header's unread badge
        client.get("/u/lea/followers/")


def test_a_private_account_shows_strangers_a_locked_door_not_zero_photos(client, user):
    owner = UserFactory(username="ona", is_private=True)
    PhotoFactory(owner=owner)
    client.force_login(user)
    html = client.get("/u/ona/").content.decode()
    assert "This account is private" in html and ">Request to follow</button>" in html
    assert "0</strong> photos" not in html and "No photos to show" not in html
    FollowFactory(follower=user, followee=owner, status=Follow.Status.PENDING)
    assert "waiting for" in client.get("/u/ona/").content.decode()
    Follow.objects.filter(follower=user).update(status=Follow.Status.ACCEPTED)
    html = client.get("/u/ona/").content.decode()
    assert "This account is private" not in html and "1</strong> photo</span>" in html


def test_counts_say_one_photo_and_one_follower(client, user):
    PhotoFactory(owner=user)
    FollowFactory(followee=user)
    html = client.get(f"/u/{user.username}/").content.decode()
    assert "1</strong> photo</span>" in html and "1</strong> follower</a>" in html


def test_password_change(client, user):
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": "longer secret 42", "new_password2": "longer secret 42"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/password/done/"
    user.refresh_from_db()
    assert user.check_password("longer secret 42")


def test_password_reset_by_email(client, user, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "Forgot your password?" in client.get("/accounts/login/").content.decode()
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]  # Django swaps the token for a session one
    new = "another long secret 77"
    response = client.post(form_url, {"new_password1": new, "new_password2": new})
    assert response["Location"] == "/accounts/password/reset/done/"
    user.refresh_from_db()
    assert user.check_password(new)
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_email_change_page(client, user):
    client.force_login(user)
    assert client.post("/accounts/email/", {"email": "x@example.org", "password": "nope"}).status_code == 400
    response = client.post("/accounts/email/", {"email": "x@example.org", "password": PASSWORD})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.email == "x@example.org"


def test_account_delete_page_needs_the_password_then_signs_out(client, user):
    PhotoFactory(owner=user)
    client.force_login(user)
    page = client.get("/accounts/delete/").content.decode()
    assert "data-confirm=" in page
    assert client.post("/accounts/delete/", {"password": "nope"}).status_code == 400
    response = client.post("/accounts/delete/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists() and not Photo.objects.exists()
    assert not client.get("/").context["user"].is_authenticated


def test_owner_edits_a_caption_and_its_hashtags_and_search_follow(client, user):
    photo = PhotoFactory(owner=user, caption="old #beach")
    client.force_login(user)
    assert f'href="/p/{photo.pk}/edit/"' in client.get(f"/p/{photo.pk}/").content.decode()
    response = client.post(f"/p/{photo.pk}/edit/", {"caption": "now #mountain", "visibility": "public"})
    assert response.status_code == 302
    photo.refresh_from_db()
    assert photo.caption == "now #mountain"
    tags = set(PhotoTag.objects.filter(photo=photo).values_list("tag__name", flat=True))
    assert tags == {"mountain"}
    found = search_page(user, parse_query("mountain"), cursor=None, size=10)
    assert [p.pk for p in found.photos] == [photo.pk]


def test_only_the_owner_edits_a_photo_and_the_refusal_is_the_sites_403_page(client, user):
    photo = PhotoFactory(caption="theirs")
    client.force_login(user)
    response = client.post(f"/p/{photo.pk}/edit/", {"caption": "mine now", "visibility": "public"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only the owner can edit this photo." in html and "Go to the home page" in html
    photo.refresh_from_db()
    assert photo.caption == "theirs"


def test_comments_are_deleted_from_the_photo_page_by_author_or_owner(client, user):
    photo = PhotoFactory()
    mine = CommentFactory(author=user, photo=photo)
    theirs = CommentFactory(photo=photo)
    client.force_login(user)
    html = client.get(f"/p/{photo.pk}/").content.decode()
    assert f"/p/{photo.pk}/comments/{mine.pk}/delete/" in html
    assert f"/p/{photo.pk}/comments/{theirs.pk}/delete/" not in html
    assert client.post(f"/p/{photo.pk}/comments/{theirs.pk}/delete/").status_code == 403
    assert client.post(f"/p/{photo.pk}/comments/{mine.pk}/delete/").status_code == 302
    client.force_login(photo.owner)
    assert client.post(f"/p/{photo.pk}/comments/{theirs.pk}/delete/").status_code == 302
    assert not Comment.objects.exists()


def test_clearing_history_asks_first(client, user):
    client.force_login(user)
    from tests.helpers import view

    view(user, PhotoFactory())
    html = client.get(f"/u/{user.username}/").content.decode()
    assert re.search(r'action="/accounts/history/clear/" data-confirm="[^"]+"', html)


def test_error_pages_look_like_the_site_and_api_errors_stay_json(client):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "This page isn't here" in html and 'class="topbar"' in html and "Go to the home page" in html
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
    html = server_error(RequestFactory().get("/p/1/")).content.decode()
    assert "Something went wrong on our side" in html and 'class="topbar"' in html
    assert server_error(RequestFactory().get("/api/v1/feed/")).content == b'{"detail": "Server error."}'


def test_throttled_forms_answer_with_the_sites_429_page(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"login": "1/minute"}}
    client.post("/accounts/login/", {"username": "a", "password": "b"})
    response = client.post("/accounts/login/", {"username": "a", "password": "b"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many attempts" in html and "Go to the home page" in html
