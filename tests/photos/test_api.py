import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from photos.models import Follow, Photo, PhotoTag, PhotoView
from tests.factories import CommentFactory, FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory
from tests.helpers import client_for, jpeg_bytes, processed

pytestmark = pytest.mark.django_db


def upload(client, data=None, **fields):
    image = io.BytesIO(data if data is not None else jpeg_bytes())
    image.name = "holiday.jpg"
    return client.post("/api/v1/photos/", {"image": image, **fields}, format="multipart")


def test_register_then_token_then_me(api):
    response = api.post(
        "/api/v1/auth/register/", {"username": "zoe", "password": "correct horse battery staple"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "zoe" and body["token"]
    token = api.post(
        "/api/v1/auth/token/", {"username": "zoe", "password": "correct horse battery staple"}, format="json"
    ).json()["token"]
    assert token != body["token"]  # each sign-in issues its own token
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/users/me/").json()
    assert me["username"] == "zoe" and me["photo_count"] == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "weak", "password": "123"}, "password"),
        ({"username": "", "password": "correct horse battery staple"}, "username"),
        ({"username": "me", "password": "correct horse battery staple"}, "username"),
    ],
)
def test_register_rejects_bad_input_with_reasons(api, payload, field):
    response = api.post("/api/v1/auth/register/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_token_with_wrong_password_is_400(api, user):
    response = api.post("/api/v1/auth/token/", {"username": user.username, "password": "nope"}, format="json")
    assert response.status_code == 400


def test_patch_me_updates_profile(auth_api, user):
    response = auth_api.patch("/api/v1/users/me/", {"display_name": "Zed", "bio": "Hi"}, format="json")
    assert response.status_code == 200
    assert response.json()["display_name"] == "Zed"
    user.refresh_from_db()
    assert user.bio == "Hi"


def test_upload_returns_201_processing_then_the_worker_adds_urls(auth_api):
    response = upload(auth_api, caption="#sunset over the sea", visibility="followers")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "processing"
    assert body["visibility"] == "followers"
    assert body["image"] is None and body["thumbnail"] is None and body["width"] == 0
    assert "original" not in body and "originals" not in response.content.decode()
    assert [t["name"] for t in body["tags"]] == ["sunset"] and body["tags"][0]["source"] == "hashtag"

    processed(Photo.objects.get(pk=body["id"]))
    body = auth_api.get(f"/api/v1/photos/{body['id']}/").json()
    assert body["status"] == "tagged" and body["width"] == 640
    assert body["image"].endswith(".jpg") and body["thumbnail"].endswith(".jpg")
    assert "holiday" not in body["image"]


@pytest.mark.parametrize(
    ("data", "fields", "status", "key"),
    [
        (b"not an image", {}, 415, "image"),
        (b"", {}, 400, "image"),
        (None, {"visibility": "everyone"}, 400, "visibility"),
        (None, {"caption": "x" * 2201}, 400, "caption"),
        (None, {"caption": "nul\x00byte"}, 400, "caption"),
    ],
)
def test_upload_bad_input_is_4xx_and_leaves_nothing(auth_api, media_root, data, fields, status, key):
    response = upload(auth_api, data, **fields)
    assert response.status_code == status, response.content
    assert key in response.json()
    assert Photo.objects.count() == 0
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_upload_requires_auth(api):
    assert upload(api).status_code in (401, 403)


def test_photo_detail_shape_with_tag_provenance(api, photo):
    PhotoTagFactory(
        photo=photo,
        tag__name="cat",
        tag__categories=["animal", "pet"],
        confidence=0.91,
        classes=[{"name": "tiger cat", "score": 0.6}, {"name": "tabby", "score": 0.31}],
    )
    body = api.get(f"/api/v1/photos/{photo.pk}/").json()
    expected = {"id", "owner", "caption", "visibility", "image", "thumbnail", "width", "height", "created_at"}
    assert expected | {"status", "like_count", "comment_count", "liked", "tags"} <= set(body)
    tag = body["tags"][0]
    assert tag["name"] == "cat" and tag["categories"] == ["animal", "pet"] and tag["source"] == "auto"
    assert tag["classes"][0] == {"name": "tiger cat", "score": 0.6}


def test_get_by_another_signed_in_user_records_a_view(photo, user):
    client_for(user).get(f"/api/v1/photos/{photo.pk}/")
    client_for(photo.owner).get(f"/api/v1/photos/{photo.pk}/")
    assert list(PhotoView.objects.values_list("user_id", "photo_id")) == [(user.pk, photo.pk)]


@pytest.mark.parametrize("visibility", ["private", "followers"])
def test_photo_others_may_not_see_is_404_everywhere(visibility, user, api):
    photo = PhotoFactory(visibility=visibility)
    stranger = client_for(user)
    for client in (stranger, api):
        assert client.get(f"/api/v1/photos/{photo.pk}/").status_code == 404
        assert client.get(f"/api/v1/photos/{photo.pk}/comments/").status_code == 404
        ids = [p["id"] for p in client.get(f"/api/v1/users/{photo.owner.username}/photos/").json()["results"]]
        assert photo.pk not in ids
    assert stranger.post(f"/api/v1/photos/{photo.pk}/like/").status_code == 404
    assert stranger.post(f"/api/v1/photos/{photo.pk}/comments/", {"text": "hi"}).status_code == 404
    assert stranger.patch(f"/api/v1/photos/{photo.pk}/", {"caption": "mine"}, format="json").status_code == 404
    assert stranger.delete(f"/api/v1/photos/{photo.pk}/").status_code == 404
    FollowFactory(follower=user, followee=photo.owner)
    assert photo.pk not in [p["id"] for p in stranger.get("/api/v1/feed/").json()["results"]] or (
        visibility == "followers"
    )


def test_only_owner_may_patch_or_delete(photo, user):
    assert client_for(user).patch(f"/api/v1/photos/{photo.pk}/", {"caption": "x"}, format="json").status_code == 403
    owner = client_for(photo.owner)
    response = owner.patch(f"/api/v1/photos/{photo.pk}/", {"caption": "new #tag"}, format="json")
    assert response.status_code == 200 and response.json()["caption"] == "new #tag"
    assert owner.patch(f"/api/v1/photos/{photo.pk}/", {"visibility": "nope"}, format="json").status_code == 400
    assert owner.delete(f"/api/v1/photos/{photo.pk}/").status_code == 204
    assert not Photo.objects.filter(pk=photo.pk).exists()


def test_like_and_unlike(photo, user):
    client = client_for(user)
    assert client.post(f"/api/v1/photos/{photo.pk}/like/").json() == {"liked": True, "like_count": 1}
    assert client.post(f"/api/v1/photos/{photo.pk}/like/").json() == {"liked": True, "like_count": 1}
    assert client.get(f"/api/v1/photos/{photo.pk}/").json()["liked"] is True
    assert client.delete(f"/api/v1/photos/{photo.pk}/like/").json() == {"liked": False, "like_count": 0}


def test_comments_list_and_create(photo, user, api):
    client = client_for(user)
    assert client.post(f"/api/v1/photos/{photo.pk}/comments/", {"text": "Nice"}, format="json").status_code == 201
    assert client.post(f"/api/v1/photos/{photo.pk}/comments/", {"text": ""}, format="json").status_code == 400
    assert api.post(f"/api/v1/photos/{photo.pk}/comments/", {"text": "anon"}, format="json").status_code in (401, 403)
    CommentFactory(photo=photo, text="Later")
    body = api.get(f"/api/v1/photos/{photo.pk}/comments/").json()
    assert [c["text"] for c in body["results"]] == ["Nice", "Later"] and body["next"] is None


def test_follow_flow_and_lists(user):
    bob = UserFactory(username="bob")
    UserFactory(username="carol", is_private=True)
    client = client_for(user)
    assert client.post("/api/v1/users/bob/follow/").status_code == 201
    assert client.post("/api/v1/users/carol/follow/").status_code == 202
    assert client.post(f"/api/v1/users/{user.username}/follow/").status_code == 400
    assert client.post("/api/v1/users/nobody/follow/").status_code == 404
    assert [u["username"] for u in client.get("/api/v1/users/bob/followers/").json()["results"]] == [user.username]
    assert [u["username"] for u in client.get(f"/api/v1/users/{user.username}/following/").json()["results"]] == ["bob"]
    assert client.get("/api/v1/users/bob/").json()["follow_status"] == "accepted"
    assert client.get("/api/v1/users/carol/").json()["follow_status"] == "pending"
    assert client.get("/api/v1/users/carol/followers/").status_code == 403
    assert client.delete("/api/v1/users/bob/follow/").status_code == 204
    assert not Follow.objects.filter(follower=user, followee=bob).exists()


def test_feed_paginates_with_cursor(user):
    client = client_for(user)
    mine = [PhotoFactory(owner=user) for _ in range(5)]
    first = client.get("/api/v1/feed/?page_size=3").json()
    assert set(first) == {"results", "next"} and len(first["results"]) == 3
    second = client.get(first["next"]).json()
    assert [p["id"] for p in first["results"] + second["results"]] == [p.pk for p in reversed(mine)]
    assert second["next"] is None


def test_feed_requires_auth(api):
    assert api.get("/api/v1/feed/").status_code in (401, 403)


@pytest.mark.parametrize("page_size", [2, 20])
def test_feed_api_query_count_is_fixed(page_size, user, django_assert_max_num_queries):
    client = client_for(user)
    for _ in range(page_size):
        photo = PhotoFactory(owner=UserFactory())
        FollowFactory(follower=user, followee=photo.owner)
        PhotoTagFactory(photo=photo)
    with django_assert_max_num_queries(3):  # photos, their tags (+ nothing per photo)
        response = client.get(f"/api/v1/feed/?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


def test_openapi_schema_describes_the_endpoints(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/auth/register/",
        "/api/v1/auth/token/",
        "/api/v1/users/me/",
        "/api/v1/users/{username}/",
        "/api/v1/users/{username}/follow/",
        "/api/v1/users/{username}/followers/",
        "/api/v1/users/{username}/following/",
        "/api/v1/users/{username}/photos/",
        "/api/v1/photos/",
        "/api/v1/photos/{photo_id}/",
        "/api/v1/photos/{photo_id}/like/",
        "/api/v1/photos/{photo_id}/comments/",
        "/api/v1/feed/",
    ]:
        assert path in paths, path


def test_api_docs_use_local_assets(api):
    html = api.get("/api/docs/").content.decode()
    assert "swagger-ui" in html and "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_avatar_upload_is_stripped(auth_api, user):
    raw = io.BytesIO()
    Image.new("RGB", (300, 200), "blue").save(raw, "PNG")
    raw.seek(0)
    raw.name = "me.png"
    response = auth_api.patch("/api/v1/users/me/", {"avatar": raw}, format="multipart")
    assert response.status_code == 200, response.content
    user.refresh_from_db()
    assert user.avatar.name.endswith(".jpg")


def test_the_upload_answer_is_the_new_photo_as_read_back_in_a_few_queries(auth_api, django_assert_num_queries):
    from photos.models import PhotoSearchTerm, Tag
    from photos.search.index import photos_search_index_refresh

    Tag.objects.create(name="cat", categories=["animal", "pet"])
    with django_assert_num_queries(7):  # savepoint, tags created if new, tags read, photo, its tags, terms, release
        response = upload(auth_api, caption="#Sunset and a #cat over the sea", visibility="followers")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == auth_api.get(f"/api/v1/photos/{body['id']}/").json()
    assert [t["name"] for t in body["tags"]] == ["cat", "sunset"]
    assert body["tags"][0]["categories"] == ["animal", "pet"]

    # The index built in memory is the one a rebuild reads back from the rows.
    def index():
        photo = Photo.objects.get(pk=body["id"])
        terms = PhotoSearchTerm.objects.filter(photo=photo).order_by("term")
        return photo.search_document, photo.search_weights, list(terms.values_list("term", "weight", "created_at"))

    built = index()
    assert dict((term, weight) for term, weight, _ in built[2]) == built[1] and "pet" in built[1]
    photos_search_index_refresh([body["id"]])
    assert index() == built


def test_an_upload_without_hashtags_or_caption_is_one_insert(auth_api, django_assert_num_queries):
    with django_assert_num_queries(3):  # savepoint, the photo, release
        assert upload(auth_api).status_code == 201


def test_hashtag_tags_round_trip(auth_api):
    photo_id = upload(auth_api, caption="#One #two").json()["id"]
    assert sorted(PhotoTag.objects.filter(photo_id=photo_id).values_list("tag__name", flat=True)) == ["one", "two"]


def test_reverse_names_exist():
    assert reverse("api_photo", args=[1]) == "/api/v1/photos/1/"


def test_comment_count_is_what_the_viewer_is_shown(user, other_user):
    from photos import services

    author, third = UserFactory(), UserFactory()
    photo = PhotoFactory(owner=author)
    services.comment_create(author=other_user, photo=photo, text="from someone the viewer blocks")
    services.comment_create(author=third, photo=photo, text="from someone else")
    services.block_create(blocker=user, blocked=other_user)
    viewer = client_for(user)
    listed = viewer.get(f"/api/v1/photos/{photo.pk}/comments/").json()["results"]
    assert len(listed) == 1
    assert viewer.get(f"/api/v1/photos/{photo.pk}/").json()["comment_count"] == 1
    feed_photo = viewer.get(f"/api/v1/users/{author.username}/photos/").json()["results"][0]
    assert feed_photo["comment_count"] == 1
    # The blocked person sees their own comment and the third's: the viewer wrote none.
    assert client_for(other_user).get(f"/api/v1/photos/{photo.pk}/").json()["comment_count"] == 2
    # Everyone else, and visitors, see both.
    assert client_for(third).get(f"/api/v1/photos/{photo.pk}/").json()["comment_count"] == 2
    assert APIClient().get(f"/api/v1/photos/{photo.pk}/").json()["comment_count"] == 2


def test_comment_count_adds_no_query_to_lists(user, django_assert_num_queries):
    from photos import selectors, services

    blocked = UserFactory()
    for _ in range(5):
        photo = PhotoFactory()
        services.comment_create(author=blocked, photo=photo, text="hidden from the viewer")
    services.block_create(blocker=user, blocked=blocked)
    with django_assert_num_queries(2):  # photos with owners, liked flags and visible counts; their tags
        photos = list(selectors.photo_list(user).order_by("-id"))
    assert [photo.visible_comment_count for photo in photos] == [0] * 5
    assert [photo.comment_count for photo in photos] == [1] * 5


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/users/{name}/block/"),
        ("delete", "/api/v1/users/{name}/block/"),
        ("post", "/api/v1/users/{name}/follow/"),
        ("delete", "/api/v1/users/{name}/follow/"),
        ("get", "/api/v1/users/{name}/"),
        ("get", "/api/v1/users/{name}/photos/"),
        ("get", "/api/v1/users/{name}/followers/"),
    ],
)
def test_someone_who_blocks_you_answers_as_nobody_does(user, other_user, method, path):
    from photos import services
    from photos.models import Block

    services.block_create(blocker=user, blocked=other_user)
    blocked = client_for(other_user)
    to_blocker = getattr(blocked, method)(path.format(name=user.username))
    to_nobody = getattr(blocked, method)(path.format(name="nobody-at-all"))
    assert to_blocker.status_code == to_nobody.status_code == 404
    assert to_blocker.json() == to_nobody.json()
    assert list(Block.objects.values_list("blocker", "blocked")) == [(user.pk, other_user.pk)]


def test_you_may_still_block_and_unblock_someone_you_block_who_blocks_you(user, other_user):
    from photos import services
    from photos.models import Block

    services.block_create(blocker=user, blocked=other_user)
    services.block_create(blocker=other_user, blocked=user)
    blocked = client_for(other_user)
    assert blocked.post(f"/api/v1/users/{user.username}/block/").status_code == 201
    assert blocked.delete(f"/api/v1/users/{user.username}/block/").status_code == 204
    assert not Block.objects.filter(blocker=other_user).exists()
    assert blocked.delete(f"/api/v1/users/{user.username}/block/").status_code == 404


def test_register_refuses_a_name_taken_in_another_case(api):
    UserFactory(username="bob")
    response = api.post("/api/v1/auth/register/", {"username": "BOB", "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert "That username is taken." in str(response.json())


PASSWORD = "correct horse battery staple"


def sign_in(api, username, password=PASSWORD):
    return api.post("/api/v1/auth/token/", {"username": username, "password": password}, format="json")


def with_token(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_each_sign_in_issues_a_new_expiring_token(api, user, settings):
    first, second = sign_in(api, user.username), sign_in(api, user.username)
    assert first.status_code == second.status_code == 200
    assert first.json()["token"] != second.json()["token"]
    expiry = datetime.fromisoformat(first.json()["expiry"])
    assert timedelta(hours=719) < expiry - timezone.now() <= timedelta(hours=720)
    assert with_token(first.json()["token"]).get("/api/v1/users/me/").json()["username"] == user.username
    assert sign_in(api, user.username, "wrong password").status_code == 400


def test_an_expired_token_is_refused(api, user):
    from knox.models import AuthToken

    token = sign_in(api, user.username).json()["token"]
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(seconds=1))
    response = with_token(token).get("/api/v1/users/me/")
    assert response.status_code == 401
    assert with_token(token).get("/api/v1/feed/").status_code == 401


def test_logout_revokes_only_the_token_it_was_sent_with(api, user):
    kept, dropped = sign_in(api, user.username).json()["token"], sign_in(api, user.username).json()["token"]
    assert with_token(dropped).post("/api/v1/auth/logout/").status_code == 204
    assert with_token(dropped).get("/api/v1/users/me/").status_code == 401
    assert with_token(kept).get("/api/v1/users/me/").status_code == 200
    assert api.post("/api/v1/auth/logout/").status_code == 401


def test_owner_lists_and_revokes_their_tokens_without_seeing_secrets(api, user, other_user):
    first, second = sign_in(api, user.username).json()["token"], sign_in(api, user.username).json()["token"]
    others = sign_in(api, other_user.username).json()["token"]
    tokens = with_token(second).get("/api/v1/auth/tokens/").json()
    assert [t["current"] for t in tokens] == [True, False]
    assert [t["prefix"] for t in tokens] == [second[:8], first[:8]]
    assert {"id", "prefix", "created", "expiry", "current"} == set(tokens[0])
    assert not any(secret in str(tokens) for secret in (first, second, first[:16], second[:16]))
    other_id = with_token(others).get("/api/v1/auth/tokens/").json()[0]["id"]
    # Someone else's token is nobody's: 404, and it keeps working.
    assert with_token(second).delete(f"/api/v1/auth/tokens/{other_id}/").status_code == 404
    assert with_token(others).get("/api/v1/users/me/").status_code == 200
    assert with_token(second).delete(f"/api/v1/auth/tokens/{tokens[1]['id']}/").status_code == 204
    assert with_token(first).get("/api/v1/users/me/").status_code == 401
    assert [t["id"] for t in with_token(second).get("/api/v1/auth/tokens/").json()] == [tokens[0]["id"]]
    assert with_token(second).delete("/api/v1/auth/tokens/short/").status_code == 404
