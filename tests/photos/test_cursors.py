"""One cursor codec: every paginated list writes and reads its cursors the same way and refuses forgeries alike."""

import base64
import json

import pytest

from photos.cursors import InvalidCursor, cursor_decode, cursor_encode, row_id
from tests.factories import PhotoFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def forged(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


def test_a_cursor_round_trips_and_parses_each_value():
    assert cursor_decode(cursor_encode([0.5, 7]), float, row_id) == (0.5, 7)


@pytest.mark.parametrize(
    "cursor",
    ["not-a-cursor", forged([1.0]), forged({"score": 1}), forged(["NaN", 1]), forged([1.0, 10**30]), forged([1.0, -1])],
)
def test_anything_else_is_one_error(cursor):
    with pytest.raises(InvalidCursor):
        cursor_decode(cursor, float, row_id)


@pytest.mark.parametrize(
    ("url", "params"),
    [("/api/v1/feed/", {}), ("/api/v1/search/", {"q": "cat"}), ("/api/v1/recommendations/", {})],
)
@pytest.mark.parametrize("cursor", ["garbage", forged([10**9, False, None]), forged([0, "yes", None])])
def test_every_api_list_answers_a_foreign_cursor_with_the_same_400(user, url, params, cursor):
    response = client_for(user).get(url, {**params, "cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {"cursor": [InvalidCursor.message]}


def test_the_feed_pages_with_the_codec(user):
    for _ in range(3):
        PhotoFactory(owner=user)
    api = client_for(user)
    first = api.get("/api/v1/feed/", {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    assert len(first["results"]) == 2 and len(second["results"]) == 1 and second["next"] is None
    assert {p["id"] for p in first["results"]}.isdisjoint(p["id"] for p in second["results"])
