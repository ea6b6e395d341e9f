"""The tagging service and tasks with the real CNN on photos that ship with scikit-image."""

import io

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from photos import services as photo_services
from photos import tagging
from photos.models import Photo, PhotoTag
from recognition import tasks
from tests.factories import UserFactory
from tests.helpers import client_for, sample_upload

pytestmark = pytest.mark.django_db


def noise_upload(seed: int = 0) -> io.BytesIO:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(300, 300, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def auto_tags(photo: Photo) -> dict[str, PhotoTag]:
    return {pt.tag.name: pt for pt in photo.photo_tags.filter(source="auto").select_related("tag")}


@pytest.fixture
def chelsea(user):
    return photo_services.photo_create(owner=user, image=sample_upload("chelsea"), caption="Chelsea #mycat")


def test_chelsea_is_tagged_cat_with_provenance(chelsea):
    assert tasks.tag_photo(chelsea.pk) == 1
    chelsea.refresh_from_db()
    assert chelsea.status == Photo.Status.TAGGED and chelsea.tagged_at and chelsea.tagging_attempts == 1
    tags = auto_tags(chelsea)
    cat = tags["cat"]
    assert cat.confidence > 0.7
    assert {"animal", "pet"} <= set(cat.tag.categories)
    class_names = [c["name"] for c in cat.classes]
    assert {"tabby", "tiger cat", "Egyptian cat"} & set(class_names)
    assert cat.classes == sorted(cat.classes, key=lambda c: -c["score"])
    assert cat.rule and cat.model_version.startswith("efficientnet-lite0") and cat.taxonomy_version


def test_coffee_is_tagged_coffee(user):
    photo = photo_services.photo_create(owner=user, image=sample_upload("coffee"))
    tasks.tag_photo(photo.pk)
    tags = auto_tags(photo)
    assert "coffee" in tags and tags["coffee"].confidence > 0.8
    assert "drink" in tags["coffee"].tag.categories
    assert tags["coffee"].classes[0]["name"] == "espresso"


def test_random_noise_gets_no_confident_tag(user):
    photo = photo_services.photo_create(owner=user, image=noise_upload())
    tasks.tag_photo(photo.pk)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.TAGGED
    assert auto_tags(photo) == {}


def test_retagging_replaces_auto_tags_and_keeps_hashtags(chelsea):
    tasks.tag_photo(chelsea.pk)
    first = auto_tags(chelsea)
    assert tasks.tag_photo(chelsea.pk) == 0  # already tagged: a redelivered task does nothing
    assert tagging.photos_tag(photo_ids=[chelsea.pk], force=True) == 1
    second = auto_tags(chelsea)
    assert set(first) == set(second)
    assert {pt.pk for pt in first.values()}.isdisjoint(pt.pk for pt in second.values())
    assert chelsea.photo_tags.filter(source="auto").count() == len(second)
    assert list(chelsea.photo_tags.filter(source="hashtag").values_list("tag__name", flat=True)) == ["mycat"]


def test_missing_photo_ends_quietly():
    assert tasks.tag_photo(987654) == 0


def test_undecodable_original_fails_with_a_reason(chelsea):
    with open(chelsea.original.path, "wb") as damaged:
        damaged.write(b"\xff\xd8\xff\xe0 this is no longer a jpeg")
    tasks.tag_photo(chelsea.pk)
    chelsea.refresh_from_db()
    assert chelsea.status == Photo.Status.FAILED
    assert "could not be decoded" in chelsea.status_reason


def test_batch_tags_several_photos_at_once(user):
    photos = [photo_services.photo_create(owner=user, image=sample_upload(n)) for n in ("chelsea", "coffee", "rocket")]
    assert tasks.tag_photos([p.pk for p in photos]) == 3
    assert set(Photo.objects.values_list("status", flat=True)) == {"tagged"}
    assert "cat" in auto_tags(photos[0]) and "coffee" in auto_tags(photos[1])


def test_stale_pending_photos_are_requeued_and_hopeless_ones_fail(user, settings):
    fresh = photo_services.photo_create(owner=user, image=sample_upload("coffee"))
    stale = photo_services.photo_create(owner=user, image=sample_upload("coffee"))
    hopeless = photo_services.photo_create(owner=user, image=sample_upload("coffee"))
    long_ago = timezone.now() - settings.RECOGNITION_STALE_AFTER * 2
    Photo.objects.filter(pk__in=[stale.pk, hopeless.pk]).update(updated_at=long_ago)
    Photo.objects.filter(pk=hopeless.pk).update(tagging_attempts=settings.RECOGNITION_MAX_ATTEMPTS)
    assert tagging.stale_photos_requeue() == [[stale.pk]]
    assert tagging.stale_photos_requeue() == []  # requeued photos are not requeued again at once
    hopeless.refresh_from_db()
    assert hopeless.status == Photo.Status.FAILED and "Gave up" in hopeless.status_reason
    assert Photo.objects.get(pk=fresh.pk).status == Photo.Status.PROCESSING


def test_retag_command_retags_by_id_with_progress(chelsea, capsys):
    tasks.tag_photo(chelsea.pk)
    call_command("retag", "--ids", str(chelsea.pk))
    out, err = capsys.readouterr()
    assert "Re-tagged 1 of 1 photo(s)." in out
    assert "retag" in err and "1/1" in err  # the progress bar
    assert "cat" in auto_tags(chelsea)


def test_explanations_are_drawn_once_per_auto_tag_and_served_in_the_api(chelsea, django_capture_on_commit_callbacks):

    client = client_for(chelsea.owner)
    assert client.post(f"/api/v1/photos/{chelsea.pk}/explain/").status_code == 400  # not tagged yet
    tasks.tag_photo(chelsea.pk)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(f"/api/v1/photos/{chelsea.pk}/explain/")
    assert response.status_code == 202 and response.json() == {"status": "queued"} and len(queued) == 1

    assert tasks.explain_photo(chelsea.pk) == len(auto_tags(chelsea))
    assert tasks.explain_photo(chelsea.pk) == 0  # already drawn
    cat = auto_tags(chelsea)["cat"]
    with Image.open(cat.explanation.path) as picture:
        # Drawn on the whole photo (451 x 300), not on the square the network saw.
        assert picture.format == "JPEG" and picture.size == (336, 224) and not picture.getexif()
    tag = next(t for t in client.get(f"/api/v1/photos/{chelsea.pk}/").json()["tags"] if t["name"] == "cat")
    assert tag["explanation"].endswith(".jpg")
    assert client.post(f"/api/v1/photos/{chelsea.pk}/explain/").json() == {"status": "ready"}
    page = client.get(f"/p/{chelsea.pk}/").content.decode()
    assert cat.explanation.url in page and "where the network found" in page


def test_explaining_a_photo_you_may_not_see_is_404(user):
    from tests.factories import PhotoFactory

    hidden = PhotoFactory(visibility="private", status="tagged")
    assert client_for(user).post(f"/api/v1/photos/{hidden.pk}/explain/").status_code == 404


@pytest.mark.parametrize("query", ["cat", "cats", "Cat", "animal", "pet", "tabby", "TABBY", "tiger cat"])
def test_search_finds_the_chelsea_photo_the_cnn_tagged(chelsea, other_user, query):

    tasks.tag_photo(chelsea.pk)
    coffee = photo_services.photo_create(owner=chelsea.owner, image=sample_upload("coffee"))
    tasks.tag_photo(coffee.pk)
    results = client_for(other_user).get("/api/v1/search/", {"q": query}).json()["results"]
    assert [photo["id"] for photo in results] == [chelsea.pk]


def test_search_for_espresso_finds_coffee_not_the_cat(chelsea, user):

    coffee = photo_services.photo_create(owner=user, image=sample_upload("coffee"), visibility="private")
    tasks.tag_photos([chelsea.pk, coffee.pk])
    assert [p["id"] for p in client_for(user).get("/api/v1/search/", {"q": "espresso"}).json()["results"]] == [
        coffee.pk
    ]
    stranger = client_for(UserFactory())
    assert stranger.get("/api/v1/search/", {"q": "espresso"}).json()["results"] == []  # private
