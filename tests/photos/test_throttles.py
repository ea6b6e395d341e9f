"""Rate limits: sign-up and logins (site, token, admin) per address; uploads (photos and avatars),
comments, likes, follows and explanations per account; API and pages alike."""

import io
import os
import uuid

import pytest
from django.core.cache import cache, caches

from photos.models import Comment, Follow, Like, Photo, PhotoTag
from tests.factories import PhotoFactory, PhotoTagFactory, UserFactory
from tests.helpers import client_for, jpeg_bytes, service_required

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def small_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 0,
        "DEFAULT_THROTTLE_RATES": {
            "register": "2/hour",
            "login": "3/minute",
            "upload": "2/hour",
            "comment": "2/minute",
            "like": "2/minute",
            "follow": "2/minute",
            "explain": "2/hour",
        },
    }


def register(client, n: int, **extra):
    return client.post("/api/v1/auth/register/", {"username": f"new{n}", "password": PASSWORD}, format="json", **extra)


def image(name="a.jpg"):
    data = io.BytesIO(jpeg_bytes(size=(32, 32)))
    data.name = name
    return data


def assert_throttled(response) -> None:
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_registration_is_limited_per_address_whatever_x_forwarded_for_says(api):
    assert [register(api, n).status_code for n in range(2)] == [201, 201]

    throttled = register(api, 2)
    assert_throttled(throttled)
    assert "throttled" in throttled.json()["detail"].lower()
    # A client cannot pose as another address: without trusted proxies the header is ignored.
    assert_throttled(register(api, 3, HTTP_X_FORWARDED_FOR="203.0.113.9"))
    assert register(api, 4, REMOTE_ADDR="198.51.100.7").status_code == 201


def test_behind_a_trusted_proxy_the_forwarded_address_counts(api, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for n in range(2):
        register(api, n, HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert_throttled(register(api, 2, HTTP_X_FORWARDED_FOR="203.0.113.1"))
    assert register(api, 3, HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 201


def test_token_login_is_limited_per_address_even_with_the_right_password(api, user):
    body = {"username": user.username, "password": "wrong"}
    assert [api.post("/api/v1/auth/token/", body, format="json").status_code for _ in range(3)] == [400] * 3
    assert_throttled(api.post("/api/v1/auth/token/", {"username": user.username, "password": PASSWORD}, format="json"))


def test_uploads_are_limited_per_account_and_a_throttled_one_stores_nothing(user, other_user):
    client = client_for(user)
    for _ in range(2):
        assert client.post("/api/v1/photos/", {"image": image()}, format="multipart").status_code == 201

    assert_throttled(client.post("/api/v1/photos/", {"image": image()}, format="multipart"))
    assert Photo.objects.filter(owner=user).count() == 2
    assert client_for(other_user).post("/api/v1/photos/", {"image": image()}, format="multipart").status_code == 201


def test_signup_login_and_upload_pages_share_the_limits(client, user):
    for n in range(2):
        client.post("/accounts/signup/", {"username": f"web{n}", "password1": "x", "password2": "y"})
    signup = client.post("/accounts/signup/", {"username": "web9", "password1": PASSWORD, "password2": PASSWORD})
    assert_throttled(signup)
    assert "Too many attempts" in signup.content.decode()
    assert client.get("/accounts/signup/").status_code == 200  # reading the form is never limited

    for _ in range(3):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong"})
    assert_throttled(client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}))

    client.force_login(user)
    for _ in range(2):
        client.post("/upload/", {"image": image(), "visibility": "public"})
    assert_throttled(client.post("/upload/", {"image": image(), "visibility": "public"}))
    assert Photo.objects.filter(owner=user).count() == 2


def test_throttle_counts_live_in_redis_when_configured(settings, api):
    """Several web processes must share one count: with REDIS_URL the cache is Redis."""
    url = os.environ.get("REDIS_URL")
    if not url:
        service_required("Redis", "set REDIS_URL to run the shared-throttle test")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    key = f"throttle_register_{address}"
    try:
        cache.delete(key)
    except Exception as error:  # any connection error means there is no Redis here
        service_required("Redis", f"{url} is unreachable: {error}")
    try:
        for n in range(2):
            assert register(api, f"{n}-{address}", REMOTE_ADDR=address).status_code == 201
        assert_throttled(register(api, f"2-{address}", REMOTE_ADDR=address))
        assert type(caches["default"]).__name__ == "RedisCache"
        assert len(cache.get(key)) == 2  # the history DRF keeps, read back from Redis
    finally:
        cache.delete(key)


def test_avatar_uploads_count_against_the_upload_limit_on_api_and_page(client, user, other_user):
    api = client_for(user)
    client.force_login(user)
    assert api.post("/api/v1/photos/", {"image": image()}, format="multipart").status_code == 201
    assert api.patch("/api/v1/users/me/", {"avatar": image()}, format="multipart").status_code == 200
    avatar = type(user).objects.get(pk=user.pk).avatar.name

    assert_throttled(api.patch("/api/v1/users/me/", {"avatar": image()}, format="multipart"))
    assert_throttled(client.post("/accounts/profile/", {"display_name": "x", "avatar": image()}))
    assert type(user).objects.get(pk=user.pk).avatar.name == avatar  # the throttled ones stored nothing
    assert api.get("/api/v1/users/me/").status_code == 200  # reading the profile is never limited
    assert client_for(other_user).patch("/api/v1/users/me/", {"avatar": image()}, format="multipart").status_code == 200


def test_admin_login_shares_the_login_limit_per_address(client, user):
    user.is_staff = user.is_superuser = True
    user.save()
    wrong = {"username": user.username, "password": "wrong", "next": "/admin/"}
    assert client.post("/accounts/login/", wrong).status_code == 200
    assert [client.post("/admin/login/", wrong).status_code for _ in range(2)] == [200, 200]

    throttled = client.post("/admin/login/", {**wrong, "password": PASSWORD})
    assert_throttled(throttled)
    assert "_auth_user_id" not in client.session  # even the right password is not tried
    assert client.get("/admin/login/").status_code == 200  # the form itself still shows
    elsewhere = client.post("/admin/login/", {**wrong, "password": PASSWORD}, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302 and elsewhere["Location"] == "/admin/"


def _social_action(action: str, photo: Photo, target) -> tuple[str, dict, str, int]:
    """Return the API path, its body, the page path and the API's success code for one action."""
    return {
        "comment": (f"/api/v1/photos/{photo.pk}/comments/", {"text": "hi"}, f"/p/{photo.pk}/comments/", 201),
        "like": (f"/api/v1/photos/{photo.pk}/like/", {}, f"/p/{photo.pk}/like/", 201),
        "follow": (f"/api/v1/users/{target.username}/follow/", {}, f"/u/{target.username}/follow/", 201),
    }[action]


@pytest.mark.parametrize("action", ["comment", "like", "follow"])
def test_comments_likes_and_follows_are_limited_per_account_on_api_and_page(action, client, user, other_user):
    target = UserFactory()
    photo = PhotoFactory(owner=target, status=Photo.Status.TAGGED)
    api_path, body, page_path, created = _social_action(action, photo, target)
    api = client_for(user)
    client.force_login(user)

    assert api.post(api_path, body, format="json").status_code == created
    assert client.post(page_path, body).status_code == 302  # back to the photo or profile

    assert_throttled(api.post(api_path, body, format="json"))
    assert_throttled(client.post(page_path, body))
    assert Comment.objects.filter(author=user).count() == (2 if action == "comment" else 0)
    assert api.get(f"/api/v1/photos/{photo.pk}/comments/").status_code == 200  # reads are never limited
    # The page toggles: liked/unliked (or followed/unfollowed) once each, then it was refused.
    assert Like.objects.filter(user=user).exists() is False and Follow.objects.filter(follower=user).exists() is False
    assert client_for(other_user).post(api_path, body, format="json").status_code == created


@pytest.fixture
def unexplained_photo(db):
    photo = PhotoFactory(status=Photo.Status.TAGGED)
    PhotoTagFactory(photo=photo, source=PhotoTag.Source.AUTO)
    return photo


@pytest.fixture
def queued_explanations(monkeypatch) -> list[int]:
    from recognition.tasks import explain_photo

    queued: list[int] = []
    monkeypatch.setattr(explain_photo, "delay", queued.append)
    return queued


def test_explanation_requests_are_limited_per_account(
    unexplained_photo, user, other_user, queued_explanations, django_capture_on_commit_callbacks
):
    path = f"/api/v1/photos/{unexplained_photo.pk}/explain/"
    api = client_for(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert [api.post(path).status_code for _ in range(2)] == [202, 202]
        assert_throttled(api.post(path))
        assert client_for(other_user).post(path).json() == {"status": "queued"}

    assert queued_explanations == [unexplained_photo.pk]  # one task for four requests by two people
