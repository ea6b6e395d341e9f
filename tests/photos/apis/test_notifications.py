"""GET /api/v1/notifications/, POST /api/v1/notifications/read/ and GET /api/v1/mentions/."""

import pytest

from photos.models import Notification
from tests.factories import PhotoFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
Kind = Notification.Kind


def test_notifications_are_grouped_cursor_paged_and_marked_read(api):
    owner = UserFactory()
    photos = PhotoFactory.create_batch(3, owner=owner)
    for photo in photos:
        for name in ("a", "b"):
            Notification.objects.create(
                recipient=owner, actor=UserFactory(username=f"{name}{photo.pk}"), kind=Kind.LIKE, photo=photo
            )
    client = client_for(owner)
    first = client.get("/api/v1/notifications/", {"page_size": 2}).json()
    assert [group["photo"] for group in first["results"]] == [photos[2].pk, photos[1].pk]
    assert first["results"][0]["text"] == f"b{photos[2].pk} and 1 other liked your photo"
    assert first["results"][0]["unread"] is True and first["results"][0]["others"] == 1
    second = client.get(first["next"]).json()
    assert [group["photo"] for group in second["results"]] == [photos[0].pk] and second["next"] is None

    marked = client.post("/api/v1/notifications/read/", {"up_to_id": first["results"][1]["latest_id"]}, format="json")
    assert marked.json() == {"marked": 4, "unread": 1}
    assert client.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 2, "unread": 0}
    assert not any(group["unread"] for group in client.get("/api/v1/notifications/").json()["results"])


def test_notifications_refuse_strangers_and_bad_cursors(api):
    assert api.get("/api/v1/notifications/").status_code in (401, 403)
    assert api.post("/api/v1/notifications/read/").status_code in (401, 403)
    client = client_for(UserFactory())
    response = client.get("/api/v1/notifications/", {"cursor": "bm9wZQ"})
    assert response.status_code == 400 and "cursor" in response.json()
    assert client.get("/api/v1/notifications/", {"page_size": 0}).status_code == 400


def test_someone_elses_notifications_are_never_listed():
    photo = PhotoFactory()
    Notification.objects.create(recipient=photo.owner, actor=UserFactory(), kind=Kind.LIKE, photo=photo)
    assert client_for(UserFactory()).get("/api/v1/notifications/").json() == {"results": [], "next": None}


def test_mention_suggestions():
    UserFactory(username="carla", display_name="Carla C")
    UserFactory(username="carl")
    client = client_for(UserFactory())
    assert [u["username"] for u in client.get("/api/v1/mentions/", {"q": "@CAR"}).json()] == ["carl", "carla"]
    assert client.get("/api/v1/mentions/", {"q": ""}).json() == []
