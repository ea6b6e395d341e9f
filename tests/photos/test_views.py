import io

import pytest
from django.contrib.auth.models import AnonymousUser
from PIL import Image

from photos.models import Comment, Follow, Like, Photo, User
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory
from tests.helpers import jpeg_bytes

pytestmark = pytest.mark.django_db


def test_landing_page_for_visitors_shows_public_photos_only(client):
    public, private = PhotoFactory(caption="public one"), PhotoFactory(visibility="private", caption="secret one")
    html = client.get("/").content.decode()
    assert "Create an account" in html
    assert public.thumbnail.url in html and private.thumbnail.url not in html


def test_signup_logs_in_and_sends_to_upload(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "",
            "password1": "correct horse battery staple",
            "password2": "correct horse battery staple",
        },
    )
    assert response.status_code == 302 and response.url == "/upload/"
    assert client.get("/").context["user"].username == "newbie"


def test_signup_errors_are_shown(client):
    response = client.post("/accounts/signup/", {"username": "x", "password1": "a", "password2": "b"})
    assert response.status_code == 400
    assert "password" in response.content.decode().lower()


def test_upload_page_stores_photo_and_redirects_to_it(client, user):
    client.force_login(user)
    assert '<label for="id_image">' in client.get("/upload/").content.decode()
    image = io.BytesIO(jpeg_bytes())
    image.name = "a.jpg"
    response = client.post("/upload/", {"image": image, "caption": "hello", "visibility": "public"})
    photo = Photo.objects.get()
    assert response.status_code == 302 and response.url == f"/p/{photo.pk}/"
    page = client.get(response.url).content.decode()
    assert "hello" in page and "Processing: preparing the photo" in page
    assert 'id="photo-placeholder"' in page and '<img src="/media/' not in page


def test_upload_page_explains_refusals(client, user):
    client.force_login(user)
    text = io.BytesIO(b"just some text")
    text.name = "photo.jpg"
    response = client.post("/upload/", {"image": text, "visibility": "public"})
    assert response.status_code == 415
    assert "Upload a JPEG, PNG, WebP or GIF image." in response.content.decode()
    assert Photo.objects.count() == 0


def test_upload_requires_login(client):
    assert client.get("/upload/").status_code == 302


def test_photo_page_shows_tags_with_why(client, photo):
    PhotoTagFactory(
        photo=photo,
        tag__name="coffee",
        tag__categories=["drink", "food"],
        confidence=0.95,
        classes=[{"name": "espresso", "score": 0.95}],
        rule="tag:coffee",
    )
    html = client.get(f"/p/{photo.pk}/").content.decode()
    assert "coffee" in html and "Why?" in html and "espresso" in html and "95%" in html
    assert "Tagged automatically by the CNN" in html


def test_a_photo_the_cnn_found_nothing_in_says_so_rather_than_tagged(client, photo):
    """Only a hashtag, no tag from the network: the page does not claim the CNN tagged it."""
    PhotoTagFactory(photo=photo, tag__name="space", source="hashtag")
    html = client.get(f"/p/{photo.pk}/").content.decode()
    assert "The CNN looked and found nothing it has a tag for" in html
    assert "Tagged automatically by the CNN" not in html


def test_private_photo_page_is_404_for_others(client, user):
    photo = PhotoFactory(visibility="private")
    assert client.get(f"/p/{photo.pk}/").status_code == 404
    client.force_login(user)
    assert client.get(f"/p/{photo.pk}/").status_code == 404
    assert client.post(f"/p/{photo.pk}/like/").status_code == 404
    client.force_login(photo.owner)
    assert client.get(f"/p/{photo.pk}/").status_code == 200


def test_caption_is_escaped(client):
    photo = PhotoFactory(caption="<script>alert(1)</script>")
    html = client.get(f"/p/{photo.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_like_comment_follow_and_delete_from_pages(client, user, photo):
    client.force_login(user)
    client.post(f"/p/{photo.pk}/like/")
    client.post(f"/p/{photo.pk}/comments/", {"text": "Great shot"})
    client.post(f"/u/{photo.owner.username}/follow/")
    assert Like.objects.filter(user=user, photo=photo).exists()
    assert Comment.objects.filter(author=user, text="Great shot").exists()
    assert Follow.objects.filter(follower=user, followee=photo.owner).exists()
    html = client.get(f"/p/{photo.pk}/").content.decode()
    assert "Great shot" in html and "Unlike" in html
    assert client.post(f"/p/{photo.pk}/delete/").status_code == 403
    client.force_login(photo.owner)
    assert client.post(f"/p/{photo.pk}/delete/").status_code == 302
    assert not Photo.objects.filter(pk=photo.pk).exists()


def test_profile_shows_counts_grid_and_follow_button(client, user):
    owner = UserFactory(username="ann", display_name="Ann")
    PhotoFactory(owner=owner)
    PhotoFactory(owner=owner, visibility="private")
    FollowFactory(follower=user, followee=owner)
    client.force_login(user)
    response = client.get("/u/ann/")
    assert response.context["owner"].photo_count == 1
    html = response.content.decode()
    assert "Ann" in html and "Unfollow" in html and "1</strong> follower</a>" in html
    assert user.username in client.get("/u/ann/followers/").content.decode()


def test_profile_edit(client, user):
    client.force_login(user)
    avatar = io.BytesIO()
    Image.new("RGB", (200, 200), "green").save(avatar, "PNG")
    avatar.seek(0)
    avatar.name = "me.png"
    response = client.post("/accounts/profile/", {"display_name": "Zed", "bio": "hello", "avatar": avatar})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "Zed" and user.avatar.name.endswith(".jpg")


@pytest.mark.parametrize("page_photos", [2, 20])
def test_feed_and_profile_pages_run_a_fixed_number_of_queries(client, user, page_photos, django_assert_num_queries):
    for _ in range(page_photos):
        photo = PhotoFactory(owner=user)
        PhotoTagFactory(photo=photo)
    client.force_login(user)
    # session, user, photos (owner, liked), their tags, their latest comments, the header's unread badge
    with django_assert_num_queries(6):
        assert client.get("/").status_code == 200
    # session, user, profile with counts, visible photo count, follow status, page count, photos, tags,
    # on one's own profile the history behind "Your interests" (its tags too, once there is history),
    # and the header's unread badge
    with django_assert_num_queries(10):
        assert client.get(f"/u/{user.username}/").status_code == 200


def test_feed_for_visitor_has_no_private_photos_and_logout_works(client, user):
    client.force_login(user)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").context["user"] == AnonymousUser() or not client.get("/").context["user"].is_authenticated


def test_pages_count_the_comments_the_viewer_is_shown(client, user, other_user):
    from photos import services

    photo = PhotoFactory(owner=UserFactory())
    services.comment_create(author=other_user, photo=photo, text="hidden by the block")
    services.block_create(blocker=other_user, blocked=user)
    client.force_login(user)
    detail = client.get(f"/p/{photo.pk}/").content.decode()
    assert "Comments (0)" in detail and "hidden by the block" not in detail
    profile = client.get(photo.owner.get_absolute_url()).content.decode()
    assert '0<span class="visually-hidden"> comments</span>' in profile and " 1 comment" not in profile


@pytest.mark.parametrize("action", ["block", "follow"])
def test_block_and_follow_buttons_tell_nothing_to_someone_blocked(client, user, other_user, action):
    from photos import services
    from photos.models import Block

    services.block_create(blocker=user, blocked=other_user)
    client.force_login(other_user)
    assert client.post(f"/u/{user.username}/{action}/").status_code == 404
    assert client.post(f"/u/nobody-at-all/{action}/").status_code == 404
    assert client.post(f"/u/{user.username}/unblock/").status_code == 404
    assert list(Block.objects.values_list("blocker", "blocked")) == [(user.pk, other_user.pk)]


def test_signup_refuses_a_name_taken_in_another_case(client):
    UserFactory(username="bob")
    form = {"username": "BOB", "email": "", "password1": "correct horse battery staple"}
    form["password2"] = form["password1"]
    response = client.post("/accounts/signup/", form)
    assert response.status_code == 400
    assert "That username is taken." in response.content.decode()
    assert list(User.objects.values_list("username", flat=True)) == ["bob"]


@pytest.mark.parametrize("typed", ["bob", "BOB", "Bob"])
def test_login_accepts_the_name_in_any_case(client, typed):
    UserFactory(username="bob")
    response = client.post("/accounts/login/", {"username": typed, "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get("/").context["user"].username == "bob"
