"""Faces: the worker counts them on real photos; only the owner sees the count and boxes."""

import numpy as np
import pytest
from django.conf import settings
from django.test import Client
from PIL import Image, ImageOps
from skimage import data

from photos import services
from photos.faces.models import PhotoFaces
from photos.models import Photo
from recognition import faces
from tests.factories import UserFactory
from tests.helpers import client_for, processed, sample_upload
from tests.workers import wait_for

pytestmark = pytest.mark.django_db


def test_the_detector_finds_the_astronaut_and_most_lfw_faces_and_none_on_still_lifes():
    detector = faces.get_detector(faces.SHORT_RANGE)
    (astronaut,) = detector.detect(Image.fromarray(data.astronaut()).resize((384, 384)))
    # Eileen Collins' face is in the upper middle of the 512 px photo (about x 170-260, y 40-170 of 512).
    assert 0.25 < (astronaut.left + astronaut.right) / 2 < 0.55 and 0.05 < (astronaut.top + astronaut.bottom) / 2 < 0.35
    for name in ("coffee", "rocket", "chelsea"):
        assert detector.detect(Image.fromarray(getattr(data, name)())) == [], name
    lfw = data.lfw_subset()  # 25x25 grey crops: 100 faces, then 100 non-faces
    crops = [
        Image.fromarray((lfw[i] * 255).astype(np.uint8)).resize((128, 128)) for i in (*range(10), *range(100, 110))
    ]
    found = [bool(detector.detect(crop)) for crop in crops]
    assert sum(found[:10]) >= 9 and sum(found[10:]) <= 1


def test_the_worker_models_merged_find_faces_in_a_group_photo_that_short_range_alone_misses():
    lfw = data.lfw_subset()
    group = Image.fromarray(data.rocket()).convert("RGB").resize((1000, 660))
    for k in range(8):  # eight lfw faces, grey-bordered like heads, in two rows
        face = Image.fromarray((lfw[k] * 255).astype(np.uint8)).convert("RGB").resize((180, 180))
        group.paste(ImageOps.expand(face, border=60, fill=(128, 128, 128)), (20 + (k % 4) * 245, 20 + (k // 4) * 320))
    merged = faces.detect_faces(group, faces.DEFAULT_MODELS)
    assert len(merged) >= 4 and len(merged) > len(faces.get_detector(faces.SHORT_RANGE).detect(group))
    for face in merged:  # each box is on one of the pasted faces, inside the picture
        assert 0 <= face.left < face.right <= 1 and 0 <= face.top < face.bottom <= 1


def test_processing_stores_the_count_and_relative_boxes_which_only_the_owner_sees(user):
    photo = processed(services.photo_create(owner=user, image=sample_upload("astronaut")))
    stored = PhotoFaces.objects.get(photo=photo)
    assert stored.count == 1 and stored.model == "+".join(settings.FACE_DETECTION_MODELS)
    assert all(0 <= value <= 1 for value in stored.boxes[0]) and len(stored.boxes[0]) == 4
    mine = client_for(user).get(f"/api/v1/photos/{photo.pk}/").json()["faces"]
    assert mine == {"count": 1, "boxes": stored.boxes, "blur": False, "blurred": False}
    assert client_for(UserFactory()).get(f"/api/v1/photos/{photo.pk}/").json()["faces"] is None
    assert "1 face<" in _page(user, photo)
    assert "1 face<" not in _page(UserFactory(), photo)
    coffee = processed(services.photo_create(owner=user, image=sample_upload("coffee")))
    assert PhotoFaces.objects.get(photo=coffee).count == 0
    photo.delete()
    assert not PhotoFaces.objects.filter(photo_id=photo.pk).exists()


def _page(user, photo) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/p/{photo.pk}/").content.decode()


def test_face_detection_switched_off_stores_nothing(user, settings):
    settings.FACE_DETECTION = False
    photo = processed(services.photo_create(owner=user, image=sample_upload("astronaut")))
    assert photo.status == "tagged" and not PhotoFaces.objects.filter(photo=photo).exists()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_counts_faces_and_blurs_them(start_worker, tmp_path):
    start_worker(cache_dir=settings.RECOGNITION_CACHE_DIR)
    owner = UserFactory()
    response = client_for(owner).post("/api/v1/photos/", {"image": sample_upload("astronaut")}, format="multipart")
    photo_id = response.json()["id"]
    wait_for(
        lambda: Photo.objects.filter(pk=photo_id, status="tagged").first(), timeout=120, what="tagging", logs=tmp_path
    )
    assert PhotoFaces.objects.get(photo_id=photo_id).count == 1
    sharp = Photo.objects.get(pk=photo_id).image.name
    response = client_for(owner).post(f"/api/v1/photos/{photo_id}/faces/", {"blur": True}, format="json")
    assert response.status_code == 202
    blurred = PhotoFaces.objects.filter(photo_id=photo_id).exclude(unblurred_image="")
    wait_for(lambda: blurred.first(), timeout=60, what="the faces blurred", logs=tmp_path)
    assert Photo.objects.get(pk=photo_id).image.name != sharp


def test_the_settings_page_and_readme_say_faces_are_never_recognised(user):
    client = Client()
    client.force_login(user)
    assert "No face recognition, no identity, no face search" in client.get("/accounts/settings/").content.decode()
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert "No face recognition, no identity, no face search" in readme
