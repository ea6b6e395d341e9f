"""Stored files are served only to people who may see the photo: a leaked file URL shows nothing."""

import pytest

from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory

pytestmark = pytest.mark.django_db


def status(client, url: str) -> int:
    response = client.get(url)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return response.status_code


@pytest.mark.parametrize("visibility", ["public", "followers", "private"])
def test_photo_files_follow_the_photos_visibility(client, visibility):
    photo = PhotoFactory(visibility=visibility)
    follower, stranger = UserFactory(), UserFactory()
    FollowFactory(follower=follower, followee=photo.owner)
    urls = [photo.image.url, photo.thumbnail.url]
    expected = {
        "owner": 200,
        "follower": 200 if visibility != "private" else 404,
        "stranger": 200 if visibility == "public" else 404,
        "anonymous": 200 if visibility == "public" else 404,
    }
    for who, viewer in {"owner": photo.owner, "follower": follower, "stranger": stranger, "anonymous": None}.items():
        client.logout()
        if viewer:
            client.force_login(viewer)
        assert [status(client, url) for url in urls] == [expected[who]] * 2, who


def test_heat_maps_follow_the_photo_and_unknown_files_are_404(client, user):
    from django.core.files.base import ContentFile

    private = PhotoFactory(visibility="private")
    photo_tag = PhotoTagFactory(photo=private)
    photo_tag.explanation.save("map.jpg", ContentFile(b"\xff\xd8\xff\xd9"))
    client.force_login(user)
    assert status(client, photo_tag.explanation.url) == 404
    assert status(client, "/media/photos/../../etc/passwd") == 404
    client.force_login(private.owner)
    assert status(client, photo_tag.explanation.url) == 200


def test_api_clients_fetch_their_private_files_with_their_token(client):
    from knox.models import AuthToken

    photo = PhotoFactory(visibility="private")
    _, token = AuthToken.objects.create(user=photo.owner)
    _, stranger_token = AuthToken.objects.create(user=UserFactory())
    url = photo.thumbnail.url
    assert status(client, url) == 404
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {stranger_token}"
    assert status(client, url) == 404
    client.defaults["HTTP_AUTHORIZATION"] = "Token not-a-token"
    assert status(client, url) == 404
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    assert status(client, url) == 200
