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


def test_an_avatar_path_is_no_way_into_anything_else(client, media_root):
    from django.contrib.auth.models import AnonymousUser
    from django.core.files.base import ContentFile

    from photos.media_selectors import media_visible
    from tests.helpers import jpeg_bytes

    someone = UserFactory()
    someone.avatar.save("face.jpg", ContentFile(jpeg_bytes((32, 32))), save=True)
    private = PhotoFactory(visibility="private")
    (media_root / "orphan.jpg").write_bytes(jpeg_bytes((8, 8)))
    (media_root.parent / "secret.txt").write_text("not media")
    avatar = someone.avatar.name
    assert status(client, someone.avatar.url) == 200
    for path in [
        f"{avatar}/../../{private.image.name}",
        f"avatars/../{private.thumbnail.name}",
        f"avatars/%2e%2e/{private.image.name}",
        "avatars/../orphan.jpg",
        "avatars/../../secret.txt",
        f"{avatar}/../../../secret.txt",
        "avatars/",
        "avatars/..",
        "avatars//../orphan.jpg",
    ]:
        assert status(client, f"/media/{path}") == 404, path
    assert not media_visible(viewer=AnonymousUser(), name=f"avatars/../{private.image.name}")
    assert not media_visible(viewer=private.owner, name=f"avatars/../{private.image.name}")
    assert media_visible(viewer=private.owner, name=private.image.name)


def test_media_is_revalidated_and_a_304_goes_only_to_viewers(client):
    from photos.services import photo_update

    photo = PhotoFactory(visibility="public")
    url = photo.thumbnail.url
    first = client.get(url)
    b"".join(first.streaming_content)
    assert first.status_code == 200
    assert first["Cache-Control"] == "private, no-cache"
    last_modified = first["Last-Modified"]
    again = client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified)
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, no-cache"
    photo_update(photo=photo, visibility="private")
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_gunicorn_with_debug_off_refuses_dot_segments_sent_as_is(settings, tmp_path):
    """Over real HTTP to the production server (no client normalising the URL), no spelling walks out of avatars/.

    Not pytest-django's live server: it serves MEDIA_URL itself, without the view.
    """
    import http.client
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.workers import _database_url

    private, public = PhotoFactory(visibility="private"), PhotoFactory(visibility="public")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "socialsite.test_settings",
        "DJANGO_DEBUG": "0",
        "DATABASE_URL": _database_url(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
    }
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "gunicorn", "--config", "python:socialsite.gunicorn", "socialsite.wsgi"]
    server = subprocess.Popen(command, cwd=Path(__file__).resolve().parents[2], env=env, stdout=log, stderr=log)

    def fetch(path: str) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                first = fetch(f"/media/{public.thumbnail.name}")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.2)
        assert first == 200
        for name in (private.image.name, private.thumbnail.name):
            assert fetch(f"/media/{name}") == 404
            for prefix in ("avatars/../", "avatars/%2e%2e/", "avatars/..%2f", "avatars/%2E%2E%2F", "avatars/.%2e/"):
                assert fetch(f"/media/{prefix}{name}") == 404, prefix + name
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_behind_nginx_the_view_checks_then_points_at_the_file_without_reading_it(client, settings):
    settings.MEDIA_ACCEL_REDIRECT = "/_protected_media/"
    public, private = PhotoFactory(visibility="public"), PhotoFactory(visibility="private")
    answer = client.get(public.thumbnail.url)
    assert answer.status_code == 200 and answer.content == b""
    assert answer["X-Accel-Redirect"] == f"/_protected_media/{public.thumbnail.name}"
    assert answer["Content-Type"] == "image/jpeg" and answer["Cache-Control"] == "private, no-cache"
    refused = client.get(private.thumbnail.url)
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused
    client.force_login(private.owner)
    assert client.get(private.thumbnail.url)["X-Accel-Redirect"] == f"/_protected_media/{private.thumbnail.name}"
