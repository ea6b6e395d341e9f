"""Re-tagging with the real CNN respects the owner's verdicts: a removed tag never comes back."""

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from photos import services as photo_services
from photos.corrections.models import TagCorrection
from photos.models import Photo, PhotoTag
from photos.search import selectors as search
from tests.factories import UserFactory
from tests.helpers import client_for, processed, sample_upload
from tests.workers import wait_for


def tags(photo: Photo) -> dict[str, str]:
    return dict(PhotoTag.objects.filter(photo=photo).values_list("tag__name", "source"))


def found(query: str) -> list[int]:
    return [p.pk for p in search.photo_search(AnonymousUser(), query)]


@pytest.mark.django_db
def test_a_removed_cat_stays_removed_when_the_real_cnn_tags_chelsea_again(user, capsys):
    chelsea = processed(photo_services.photo_create(owner=user, image=sample_upload("chelsea")))
    assert tags(chelsea)["cat"] == "auto"  # the real network sees the cat
    assert found("cat") == [chelsea.pk]
    assert "cat" in chelsea.alt_text and chelsea.alt_text_source == Photo.AltTextSource.AUTO

    assert client_for(user).delete(f"/api/v1/photos/{chelsea.pk}/tags/cat/").status_code == 204
    chelsea.refresh_from_db()
    assert "cat" not in chelsea.alt_text  # the machine-written description is drafted again at once
    tagged_at = chelsea.tagged_at
    call_command("retag", "--ids", str(chelsea.pk))
    assert "Re-tagged 1 of 1" in capsys.readouterr().out
    chelsea.refresh_from_db()
    assert "cat" not in chelsea.alt_text  # nor does the drafted description name it
    assert chelsea.tagged_at > tagged_at  # the network did run again
    assert "cat" not in tags(chelsea)
    assert TagCorrection.objects.get(photo=chelsea, tag__name="cat").action == TagCorrection.Action.REMOVED
    assert found("cat") == [] and found("tabby") == []


@pytest.mark.django_db
def test_a_confirmed_tag_survives_retagging_once_and_outranks_the_cnns(user):
    coffee = processed(photo_services.photo_create(owner=user, image=sample_upload("coffee")))
    other = processed(photo_services.photo_create(owner=UserFactory(), image=sample_upload("coffee")))
    assert tags(coffee)["coffee"] == "auto" and tags(other)["coffee"] == "auto"
    # Identical images: the newer one (other) ranks first on recency until the owner vouches.
    assert found("coffee") == [other.pk, coffee.pk]
    response = client_for(user).post(f"/api/v1/photos/{coffee.pk}/tags/coffee/confirm/")
    assert response.status_code == 200
    assert found("coffee") == [coffee.pk, other.pk]
    call_command("retag", "--ids", str(coffee.pk), str(other.pk))
    assert tags(coffee)["coffee"] == "confirmed"
    coffee.refresh_from_db()
    assert "espresso" in coffee.alt_text  # a confirmed tag still describes the photo after the retag
    assert PhotoTag.objects.filter(photo=coffee, tag__name="coffee").count() == 1  # not doubled by the CNN
    assert found("coffee") == [coffee.pk, other.pk]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_retagging_chelsea_leaves_the_removed_cat_off(start_worker, tmp_path):
    start_worker(cache_dir=settings.RECOGNITION_CACHE_DIR)
    owner = UserFactory()
    response = client_for(owner).post("/api/v1/photos/", {"image": sample_upload("chelsea")}, format="multipart")
    photo_id = response.json()["id"]
    photo = wait_for(
        lambda: Photo.objects.filter(pk=photo_id, status="tagged").first(), timeout=120, what="tagging", logs=tmp_path
    )
    assert tags(photo)["cat"] == "auto"
    assert client_for(owner).delete(f"/api/v1/photos/{photo_id}/tags/cat/").status_code == 204
    assert client_for(owner).post(f"/api/v1/photos/{photo_id}/tags/", {"name": "chelsea"}).status_code == 201

    call_command("retag", "--ids", str(photo_id), "--queue")
    wait_for(
        lambda: Photo.objects.filter(pk=photo_id, tagged_at__gt=photo.tagged_at).exists(),
        timeout=120,
        what="the worker to tag the photo again",
        logs=tmp_path,
    )
    assert "cat" not in tags(photo) and tags(photo)["chelsea"] == "user"
    assert found("cat") == [] and found("chelsea") == [photo_id]
