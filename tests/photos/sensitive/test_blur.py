"""Sensitive photos: blurred on the server for visitors and people who did not opt in, sharp only when asked."""

import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image
from rest_framework.test import APIClient
from skimage import data

from photos.models import Photo
from photos.search.index import photo_search_document_refresh
from photos.sensitive.blur import blurred_jpeg
from photos.sensitive.services import photo_sensitive_set
from tests.factories import FollowFactory, PhotoFactory, PhotoTagFactory, UserFactory
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def _jpeg(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def _detail(array) -> float:
    """Return the mean absolute difference between neighbouring pixels: fine detail."""
    grey = array.astype(float).mean(axis=2)
    return float(np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean())


def test_the_blurred_copy_keeps_colour_and_loses_the_detail_of_a_real_photo():
    astronaut = data.astronaut()[:320, :320]
    blurred = np.asarray(Image.open(io.BytesIO(blurred_jpeg(_jpeg(astronaut)))).convert("RGB"))
    assert blurred.shape == (320, 320, 3)
    assert _detail(blurred) < _detail(astronaut) / 4

    # Nothing finer than a 24 x 24 picture survives: shrinking and enlarging it again changes it little,
    # while the same round trip wipes out the original's detail.
    def round_trip_loss(array) -> float:
        small = (
            Image.fromarray(array).resize((24, 24), Image.Resampling.BOX).resize((320, 320), Image.Resampling.BICUBIC)
        )
        return float(np.abs(np.asarray(small, dtype=float) - array.astype(float)).mean())

    assert round_trip_loss(blurred) < 3 < 15 < round_trip_loss(astronaut)
    assert np.abs(blurred.mean(axis=(0, 1)) - astronaut.mean(axis=(0, 1))).max() < 20  # same overall colours


@pytest.fixture
def world():
    owner = UserFactory(username="owner")
    sharp = _jpeg(data.astronaut()[:320, :320])
    photo = PhotoFactory(
        owner=owner,
        caption="sensitivecaption",
        thumbnail=ContentFile(sharp, name="t.jpg"),
        image=ContentFile(sharp, name="i.jpg"),
    )
    PhotoTagFactory(photo=photo, tag__name="blurtag")
    photo_search_document_refresh(photo.pk)
    photo_sensitive_set(photo=photo, sensitive=True)
    photo.refresh_from_db()
    opted_in = UserFactory(username="optedin", show_sensitive=True)
    opted_out = UserFactory(username="optedout")
    for person in (opted_in, opted_out):
        FollowFactory(follower=person, followee=owner)
    return {"owner": owner, "photo": photo, "in": opted_in, "out": opted_out}


PAGES = ["/search/?q=blurtag", "/tags/blurtag/", "/u/owner/", "/"]


@pytest.mark.parametrize("who", ["anonymous", "out", "in", "owner"])
def test_grids_feed_and_search_show_the_blurred_copy_unless_opted_in(world, who):
    photo = world["photo"]
    client = APIClient()
    if who != "anonymous":
        client.force_login(world[who])
    blurred = who in ("anonymous", "out")
    pages = PAGES if who != "anonymous" else PAGES[:3]  # "/" is the landing page for visitors
    for url in pages:
        html = client.get(url).content.decode()
        assert (photo.blurred_thumbnail.url in html) == blurred, url
        sharp_src = f'src="{photo.thumbnail.url}"' in html or f'src="{photo.image.url}"' in html
        assert sharp_src == (not blurred), url  # the sharp copy is never an img src until asked
        if blurred:
            assert "Show sensitive photo" in html and f"{photo.get_absolute_url()}?show=1" in html
    detail = client.get(photo.get_absolute_url()).content.decode()
    assert (f'src="{photo.image.url}"' in detail) == (not blurred)
    asked = client.get(photo.get_absolute_url() + "?show=1").content.decode()
    assert f'src="{photo.image.url}"' in asked  # Show: the sharp image, now that it was asked for
    assert client.get(photo.blurred_thumbnail.url).status_code == 200  # media follows the photo


def test_never_on_the_landing_page_and_explore_blurs_it(world, client):
    photo = world["photo"]
    html = client.get("/").content.decode()
    assert photo.blurred_thumbnail.url not in html and photo.thumbnail.url not in html
    harmless = PhotoFactory()
    assert harmless.thumbnail.url in client.get("/").content.decode()
    from photos.models import PopularPhoto

    PopularPhoto.objects.create(photo=photo, tag=None, score=10.0, week_views=3)
    stranger = UserFactory()
    client.force_login(stranger)
    explore = client.get("/explore/").content.decode()
    assert photo.blurred_thumbnail.url in explore and f'src="{photo.thumbnail.url}"' not in explore


def test_only_the_owner_marks_and_unmarks_and_the_blurred_file_goes_with_it(
    world, client, django_capture_on_commit_callbacks
):
    photo = world["photo"]
    client.force_login(world["out"])
    assert client.post(reverse("photo_sensitive", args=[photo.pk]), {"sensitive": "0"}).status_code == 403
    assert client_for(world["out"]).patch(f"/api/v1/photos/{photo.pk}/", {"sensitive": False}).status_code == 403
    photo.refresh_from_db()
    assert photo.is_sensitive
    name = photo.blurred_thumbnail.name
    client.force_login(world["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("photo_sensitive", args=[photo.pk]), {"sensitive": "0"}).status_code == 302
    photo.refresh_from_db()
    assert not photo.is_sensitive and not photo.blurred_thumbnail and not default_storage.exists(name)
    answer = client_for(world["owner"]).patch(f"/api/v1/photos/{photo.pk}/", {"sensitive": True}, format="json")
    assert answer.status_code == 200 and answer.json()["sensitive"] and answer.json()["blurred_thumbnail"]
    photo.refresh_from_db()
    assert photo.is_sensitive and default_storage.exists(photo.blurred_thumbnail.name)


def test_the_setting_turns_always_show_on_and_off(world, client):
    person = world["out"]
    client.force_login(person)
    assert "Always show sensitive content" in client.get(reverse("account_settings")).content.decode()
    client.post(reverse("sensitive_preference"), {"show_sensitive": "1"})
    person.refresh_from_db()
    assert person.show_sensitive
    html = client.get("/search/?q=blurtag").content.decode()
    assert world["photo"].blurred_thumbnail.url not in html
    client.post(reverse("sensitive_preference"), {"show_sensitive": "0"})
    person.refresh_from_db()
    assert not person.show_sensitive


def test_a_sensitive_photo_still_processing_shows_a_placeholder_not_the_photo(client):
    photo = PhotoFactory(status=Photo.Status.TAGGED, thumbnail="", image="")
    photo_sensitive_set(photo=photo, sensitive=True)
    photo.refresh_from_db()
    assert photo.is_sensitive and not photo.blurred_thumbnail


def test_a_photo_marked_sensitive_while_processing_is_blurred_once_its_copies_are_made(
    user, django_capture_on_commit_callbacks
):
    from photos.services import photo_create
    from tests.helpers import processed, sample_upload

    with django_capture_on_commit_callbacks(execute=False):
        photo = photo_create(owner=user, image=sample_upload("chelsea"), caption="")
    photo_sensitive_set(photo=photo, sensitive=True)
    with django_capture_on_commit_callbacks(execute=True):
        processed(photo)
    photo.refresh_from_db()
    assert photo.status == Photo.Status.TAGGED and photo.thumbnail and photo.blurred_thumbnail
    with default_storage.open(photo.blurred_thumbnail.name) as blurred:
        assert Image.open(blurred).size == Image.open(photo.thumbnail.path).size
