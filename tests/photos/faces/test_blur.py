"""Blurring the faces on a photo: the served copies change inside the face boxes only, and unblurring restores them."""

import io

import numpy as np
import pytest
from PIL import Image

from photos import services
from photos.faces.blur import face_blur_apply
from photos.faces.models import PhotoFaces
from photos.models import originals_storage
from tests.factories import UserFactory
from tests.helpers import client_for, processed, sample_upload

pytestmark = pytest.mark.django_db


def _pixels(field) -> np.ndarray:
    with field.open("rb") as stored:
        return np.asarray(Image.open(io.BytesIO(stored.read())).convert("RGB"), dtype=float)


def _bytes(field) -> bytes:
    with field.open("rb") as stored:
        return stored.read()


def _blur(client, photo, blur: bool, capture):
    with capture(execute=False):  # the worker's task is run below, as the worker would
        response = client.post(f"/api/v1/photos/{photo.pk}/faces/", {"blur": blur}, format="json")
    assert response.status_code == 202 and response.json()["blur"] is blur
    with capture(execute=True):  # replaced files go on commit (django-cleanup)
        assert face_blur_apply(photo_id=photo.pk)
    photo.refresh_from_db()


def test_blurring_changes_pixels_in_the_face_box_only_and_unblurring_restores_the_copies(
    user, django_capture_on_commit_callbacks
):
    photo = processed(services.photo_create(owner=user, image=sample_upload("astronaut")))
    before, before_image, before_thumbnail = _pixels(photo.image), _bytes(photo.image), _bytes(photo.thumbnail)
    owner = client_for(user)
    _blur(owner, photo, True, django_capture_on_commit_callbacks)
    after = _pixels(photo.image)
    found = PhotoFaces.objects.get(photo=photo)
    left, top, right, bottom = found.boxes[0]
    h, w = before.shape[:2]
    inside = (slice(int(top * h), int(bottom * h)), slice(int(left * w), int(right * w)))
    assert np.abs(after[inside] - before[inside]).mean() > 8  # the face is blurred
    assert np.abs(after[int(0.85 * h) :, int(0.8 * w) :] - before[int(0.85 * h) :, int(0.8 * w) :]).mean() < 2
    assert _bytes(photo.thumbnail) != before_thumbnail
    assert owner.get(f"/api/v1/photos/{photo.pk}/").json()["faces"]["blurred"] is True
    private = [found.unblurred_image.name, found.unblurred_thumbnail.name]
    assert all(originals_storage().exists(name) for name in private)
    assert client_for(user).get(f"/media/{private[0]}").status_code == 404  # never served

    _blur(owner, photo, False, django_capture_on_commit_callbacks)
    assert _bytes(photo.image) == before_image and _bytes(photo.thumbnail) == before_thumbnail
    assert not any(originals_storage().exists(name) for name in private)

    _blur(owner, photo, True, django_capture_on_commit_callbacks)
    private = [PhotoFaces.objects.get(photo=photo).unblurred_image.name]
    assert originals_storage().exists(private[0])
    with django_capture_on_commit_callbacks(execute=True):
        photo.delete()
    assert not originals_storage().exists(private[0])


def test_only_the_owner_blurs_and_only_a_photo_with_faces(user, django_capture_on_commit_callbacks):
    coffee = processed(services.photo_create(owner=user, image=sample_upload("coffee")))
    response = client_for(user).post(f"/api/v1/photos/{coffee.pk}/faces/", {"blur": True}, format="json")
    assert response.status_code == 400 and "No faces" in response.json()["blur"][0]
    astronaut = processed(services.photo_create(owner=user, image=sample_upload("astronaut")))
    other = client_for(UserFactory()).post(f"/api/v1/photos/{astronaut.pk}/faces/", {"blur": True}, format="json")
    assert other.status_code == 403
    bad = client_for(user).post(f"/api/v1/photos/{astronaut.pk}/faces/", {"blur": "maybe"}, format="json")
    assert bad.status_code == 400 and "blur" in bad.json()
