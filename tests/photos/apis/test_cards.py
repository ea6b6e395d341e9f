"""The API's fast writers give the very output DRF's field-by-field serializers give."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIRequestFactory

from photos import selectors
from photos.apis.cards import photo_card
from photos.apis.explore import ExploreItemSerializer, ReasonSerializer
from photos.apis.renderers import OrjsonRenderer
from photos.apis.search import SearchResultSerializer
from photos.apis.serializers import PhotoSerializer
from photos.explore.selectors import ExploreItem
from photos.explore.sources import Reason
from photos.models import Photo
from photos.search import selectors as search
from photos.search.index import photos_search_index_refresh
from photos.tag_rows import tag_rows_load
from tests.factories import (
    CommentFactory,
    FollowFactory,
    LikeFactory,
    PhotoFactory,
    PhotoTagFactory,
    TagFactory,
    UserFactory,
    _jpeg,
)

pytestmark = pytest.mark.django_db


def _drf(serializer_class, instance, request) -> dict:
    """What DRF itself writes: ModelSerializer's field-by-field representation, nested serializers and all."""
    return serializers.ModelSerializer.to_representation(serializer_class(context={"request": request}), instance)


@pytest.fixture
def request_():
    return APIRequestFactory().get("/api/v1/feed/")


@pytest.fixture
def varied_photos(user):
    owner = UserFactory(display_name="Zoë “Z” Ünal", avatar=_jpeg())
    plain = PhotoFactory(owner=owner, caption="Tea\u2028time #café", alt_text="A cup")
    sensitive = PhotoFactory(owner=owner, is_sensitive=True, blurred_thumbnail=_jpeg(), visibility="followers")
    tagged = PhotoFactory(owner=user, caption="")
    PhotoTagFactory(
        photo=tagged,
        tag=TagFactory(name="cat", categories=["animal", "pet"]),
        confidence=0.8125,
        classes=[{"name": "tabby", "score": 0.61, "index": 281}, {"name": "tiger cat", "score": 0.2}],
        model_version="lite0",
        taxonomy_version="3",
        explanation=_jpeg(),
    )
    # A stored name that needs quoting in a URL: the fast URLs must quote it as Django does.
    PhotoTagFactory(
        photo=tagged, tag=TagFactory(name="sofa"), source="owner", confidence=1.0, explanation="explain/Zoë #1?.png"
    )
    processing = PhotoFactory(owner=user, image="", thumbnail="", width=0, height=0, status=Photo.Status.PROCESSING)
    LikeFactory(user=user, photo=plain)
    Photo.objects.filter(pk=plain.pk).update(comment_count=2)
    CommentFactory(photo=plain)
    CommentFactory(photo=plain, is_hidden=True)  # the visible count is 1
    return [plain, sensitive, tagged, processing]


def test_photo_card_is_what_drf_writes(user, varied_photos, request_):
    FollowFactory(follower=user, followee=varied_photos[0].owner)
    photos = list(selectors.photo_list(user).filter(pk__in=[p.pk for p in varied_photos]).order_by("pk"))
    assert len(photos) == 4
    for photo in photos:
        card, reference = photo_card(photo, request_), _drf(PhotoSerializer, photo, request_)
        assert card == reference
        assert list(card) == list(reference)  # same key order, so the same bytes
        assert [list(tag) for tag in card["tags"]] == [list(tag) for tag in reference["tags"]]
    cards = {card["id"]: card for card in PhotoSerializer(photos, many=True, context={"request": request_}).data}
    assert cards[varied_photos[0].pk]["liked"] is True and cards[varied_photos[1].pk]["liked"] is False
    cat = next(tag for tag in cards[varied_photos[2].pk]["tags"] if tag["name"] == "cat")
    sofa = next(tag for tag in cards[varied_photos[2].pk]["tags"] if tag["name"] == "sofa")
    assert sofa["explanation"] == "http://testserver/media/explain/Zo%C3%AB%20%231%3F.png"
    assert cat["explanation"].startswith("http://testserver/media/") and cat["classes"] == [
        {"name": "tabby", "score": 0.61},
        {"name": "tiger cat", "score": 0.2},
    ]


def test_a_new_photo_card_is_what_drf_writes(user, request_):
    photo = PhotoFactory(owner=user)
    photo.liked = False
    assert photo_card(photo, request_) == _drf(PhotoSerializer, photo, request_)


def test_search_result_is_what_drf_writes(user, varied_photos, request_):
    photos_search_index_refresh([photo.pk for photo in varied_photos])
    page = search.search_page(user, search.parse_query("cat"), cursor=None, size=24)
    assert [photo.pk for photo in page.photos] == [varied_photos[2].pk]
    fast = SearchResultSerializer(page.photos, many=True, context={"request": request_}).data
    assert fast == [_drf(SearchResultSerializer, photo, request_) for photo in page.photos]
    assert fast[0]["matched_tags"][0]["name"] == "cat"


def test_explore_item_is_what_drf_writes(user, varied_photos, request_):
    photo = selectors.photo_get(viewer=user, photo_id=varied_photos[2].pk)
    reasons = [Reason("tag", "Because you viewed 3 photos tagged cat", tag="cat", count=3), Reason("recent", "New")]
    item = ExploreItem(photo, 0.4321, reasons)
    fast = ExploreItemSerializer(item, context={"request": request_}).data
    assert fast == {
        "photo": _drf(PhotoSerializer, photo, request_),
        "score": 0.4321,
        "reasons": ReasonSerializer(reasons, many=True).data,
    }


def test_orjson_renderer_writes_drfs_bytes(user, varied_photos, request_):
    photos = list(selectors.photo_list(user).filter(pk__in=[p.pk for p in varied_photos]))
    data = {
        "results": PhotoSerializer(photos, many=True, context={"request": request_}).data,
        "next": None,
        "when": timezone.now() - timedelta(days=1),
        "amount": Decimal("1.5"),
        "detail": gettext_lazy("Not found."),
        "line": "a\u2028b\u2029c",
    }
    ours, drfs = OrjsonRenderer().render(data), JSONRenderer().render(data)
    assert json.loads(ours) == json.loads(drfs)
    assert b"\\u2028" in ours and b"\xe2\x80\xa8" not in ours
    assert OrjsonRenderer().render(None) == b""
    # Pretty printing (?format=json; indent=2 from the browsable API) is DRF's own.
    pretty = "application/json; indent=2"
    assert OrjsonRenderer().render(data, pretty) == JSONRenderer().render(data, pretty)


def test_tag_rows_give_the_cards_the_prefetched_tags_give(user, varied_photos, request_, django_assert_num_queries):
    FollowFactory(follower=user, followee=varied_photos[0].owner)
    ids = [photo.pk for photo in varied_photos]
    prefetched = list(selectors.photo_list(user).filter(pk__in=ids).order_by("pk"))
    rows = list(selectors.photo_list(user, tags=False).filter(pk__in=ids).order_by("pk"))
    with django_assert_num_queries(1):
        tag_rows_load(rows, user)
    assert [photo_card(photo, request_) for photo in rows] == [
        _drf(PhotoSerializer, photo, request_) for photo in prefetched
    ]
    assert [tag.name for tag in rows[2].tag_rows] == ["sofa", "cat"]  # best first, as the prefetch orders them


def test_search_with_tag_rows_matches_and_writes_as_with_prefetched_tags(user, varied_photos, request_):
    photos_search_index_refresh([photo.pk for photo in varied_photos])
    query = search.parse_query("tabby")
    prefetched = search.search_page(user, query, cursor=None, size=24)
    rows = search.search_page(user, query, cursor=None, size=24, tag_rows=True)
    assert [photo.matched_tags for photo in rows.photos] == [photo.matched_tags for photo in prefetched.photos]
    assert rows.photos[0].matched_tags[0].match == "class"
    assert SearchResultSerializer(rows.photos, many=True, context={"request": request_}).data == [
        _drf(SearchResultSerializer, photo, request_) for photo in prefetched.photos
    ]
