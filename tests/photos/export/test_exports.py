"""Download my data: the zip's contents (real photo bytes), its progress, expiry, owner-only, deletion."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from photos.export.models import DataExport, exports_storage
from photos.export.selectors import data_export_link
from photos.export.services import data_export_build, data_export_request, data_exports_expire
from photos.models import PhotoTag, User
from photos.people.services import account_delete
from tests.factories import CommentFactory, FollowFactory, LikeFactory, PhotoFactory, PhotoTagFactory, UserFactory
from tests.helpers import client_for, jpeg_bytes, view

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    ann = UserFactory(username="ann", display_name="Ann")
    ann.set_password("correct horse battery staple")
    ann.save()
    bob = UserFactory(username="bob")
    cat = PhotoFactory(owner=ann, caption="my cat #tabby", image=ContentFile(jpeg_bytes((80, 60)), name="cat.jpg"))
    PhotoTagFactory(
        photo=cat,
        tag__name="cat",
        tag__categories=["animal"],
        classes=[{"name": "tabby", "score": 0.8}],
        rule="tabby->cat",
        model_version="efficientnet-lite0",
        taxonomy_version="3",
    )
    PhotoTagFactory(photo=cat, tag__name="tabby", source=PhotoTag.Source.HASHTAG, confidence=1.0)
    PhotoFactory(owner=ann, caption="second", image=ContentFile(jpeg_bytes((40, 40), (0, 90, 0)), name="g.jpg"))
    theirs = PhotoFactory(owner=bob, caption="bob's secret caption")
    CommentFactory(photo=theirs, author=ann, text="lovely")
    CommentFactory(photo=cat, author=bob, text="bob says hi")
    LikeFactory(user=ann, photo=theirs)
    FollowFactory(follower=ann, followee=bob)
    FollowFactory(follower=bob, followee=ann)
    view(ann, theirs)
    return ann


def _zip(export: DataExport) -> zipfile.ZipFile:
    with export.file.open("rb") as stored:
        return zipfile.ZipFile(io.BytesIO(stored.read()))


def test_the_zip_holds_the_display_copies_and_the_records_as_json(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # built here, not by a worker
        export = data_export_request(user=person)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "ready" and export.progress == 100 and export.size > 0
    assert export.expires_at - export.finished_at == timedelta(hours=settings.DATA_EXPORT_HOURS)
    archive = _zip(export)
    photos = json.loads(archive.read("photos.json"))
    assert [p["caption"] for p in photos] == ["my cat #tabby", "second"]
    for listed in photos:
        stored = person.photos.get(pk=listed["id"])
        with stored.image.open("rb") as image:
            assert archive.read(listed["file"]) == image.read()  # the real bytes of the display copy
    cat_tags = {tag["name"]: tag for tag in photos[0]["tags"]}
    assert cat_tags["cat"]["classes"] == [{"name": "tabby", "score": 0.8}] and cat_tags["cat"]["rule"] == "tabby->cat"
    assert cat_tags["cat"]["model_version"] == "efficientnet-lite0" and cat_tags["tabby"]["source"] == "hashtag"
    assert [c["text"] for c in json.loads(archive.read("comments.json"))] == ["lovely"]
    assert len(json.loads(archive.read("likes.json"))) == 1
    follows = json.loads(archive.read("follows.json"))
    assert [f["username"] for f in follows["following"]] == ["bob"]
    assert [f["username"] for f in follows["followers"]] == ["bob"]
    assert len(json.loads(archive.read("history.json"))) == 1
    assert json.loads(archive.read("profile.json"))["username"] == "ann"
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"bob's secret caption" not in everything and b"bob says hi" not in everything  # only ann's own


def test_the_zip_says_what_the_detectors_found_on_each_photo_and_what_the_person_taught(
    person, settings, django_capture_on_commit_callbacks
):
    from photos import services
    from photos.faces.blur import face_blur_apply, faces_blur_set
    from photos.faces.models import PhotoFaces
    from photos.learned.models import LearnedTag, LearnedTagExample
    from photos.models import Tag
    from tests.helpers import processed, sample_upload

    astronaut = processed(services.photo_create(owner=person, image=sample_upload("astronaut")))  # the real worker
    coffee = processed(services.photo_create(owner=person, image=sample_upload("coffee")))
    with django_capture_on_commit_callbacks(execute=False):
        faces_blur_set(photo=astronaut, blur=True)
    assert face_blur_apply(photo_id=astronaut.pk)  # as the worker does
    astronaut.refresh_from_db()
    space = LearnedTag.objects.create(owner=person, tag=Tag.objects.create(name="space"), is_active=True)
    LearnedTagExample.objects.create(learned_tag=space, photo=astronaut, positive=True)
    LearnedTag.objects.create(owner=UserFactory(), tag=Tag.objects.create(name="someone else's"), is_active=True)
    with django_capture_on_commit_callbacks(execute=False):
        export = data_export_request(user=person)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    archive = _zip(export)
    listed = {p["id"]: p for p in json.loads(archive.read("photos.json"))}
    found = listed[astronaut.pk]
    assert found["faces"]["count"] == 1 and found["faces"]["blurred"] is True
    assert found["faces"]["boxes"] == PhotoFaces.objects.get(photo=astronaut).boxes
    sharp = PhotoFaces.objects.get(photo=astronaut).unblurred_image
    with sharp.open("rb") as kept, astronaut.image.open("rb") as served:
        # Its owner gets the photo as they posted it; everyone else is served the blurred copy.
        assert archive.read(found["file"]) == kept.read() != served.read()
    assert listed[coffee.pk]["faces"] == {"count": 0, "boxes": [], "model": found["faces"]["model"], "blurred": False}
    left, top, right, bottom = found["faces"]["boxes"][0]
    assert 0.25 < left < right < 0.65 and 0.05 < top < bottom < 0.45  # Eileen Collins' face
    assert found["nudity"]["marked_sensitive"] is False and found["nudity"]["score"] == 0.0
    assert [d["label"] for d in found["nudity"]["detections"]] == ["FACE_FEMALE"]
    assert found["sensitive"] is False and {"alt_text", "alt_text_source"} <= found.keys()
    never_processed = next(p for p in listed.values() if p["caption"] == "second")
    assert never_processed["faces"] is None and never_processed["nudity"] is None  # not looked at, not "none"
    learned = json.loads(archive.read("learned_tags.json"))
    assert learned == [
        {
            "tag": "space",
            "state": "training",
            "active": True,
            "created_at": learned[0]["created_at"],
            "examples": [{"photo": astronaut.pk, "positive": True, "origin": "picked"}],
            "precision": None,
            "recall": None,
        }
    ]


def test_the_page_and_api_start_poll_and_download_only_for_the_owner(person, client):
    client.force_login(person)
    assert client.post(reverse("data_export")).status_code == 302
    export = DataExport.objects.get(user=person)
    api = client_for(person)
    polled = api.get(f"/api/v1/users/me/exports/{export.pk}/").json()
    assert polled["status"] == "queued" and polled["download"] is None
    assert api.post("/api/v1/users/me/exports/").json()["id"] == export.pk  # one at a time
    page = client.get(reverse("data_export")).content.decode()
    assert "<progress" in page and "js/export.js" in page
    data_export_build(export_id=export.pk)
    polled = api.get(f"/api/v1/users/me/exports/{export.pk}/").json()
    assert polled["status"] == "ready" and polled["progress"] == 100
    download = api.get(polled["download"])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).read("profile.json")
    export.refresh_from_db()
    page_link = data_export_link(export)
    assert "/accounts/export/download/" in client.get(reverse("data_export")).content.decode()
    assert client.get(page_link).status_code == 200

    # Nobody else: not by the link, not by the id, not signed out; and it is not public media.
    other = client_for(UserFactory())
    assert other.get(polled["download"]).status_code == 404
    assert other.get(f"/api/v1/users/me/exports/{export.pk}/").status_code == 404
    assert APIClient().get(polled["download"]).status_code in (401, 403)
    stranger = APIClient()
    stranger.force_login(UserFactory())
    assert stranger.get(page_link).status_code == 404
    assert stranger.get(f"/media/{export.file.name}").status_code == 404
    assert client.get(f"/media/{export.file.name}").status_code == 404
    assert api.get(polled["download"][:-3] + "abc/").status_code == 404  # a tampered signature


def test_links_and_exports_expire(person, settings):
    export = DataExport.objects.create(user=person)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    api = client_for(person)
    link = data_export_link(export, api=True)
    settings.DATA_EXPORT_HOURS = 0  # the signature's age now exceeds the lifetime
    assert api.get(link).status_code == 404
    settings.DATA_EXPORT_HOURS = 48
    assert api.get(link).status_code == 200
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert api.get(link).status_code == 404
    assert api.get("/api/v1/users/me/exports/").json()["results"] == []
    name = export.file.name
    assert exports_storage().exists(name)
    with django_capture():
        assert data_exports_expire() == 1
    assert not exports_storage().exists(name)


def django_capture():
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)


def test_account_deletion_removes_exports_and_their_files(person):
    export = DataExport.objects.create(user=person)
    data_export_build(export_id=export.pk)
    export.refresh_from_db()
    name = export.file.name
    with django_capture():
        account_delete(user=person, password="correct horse battery staple")
    assert not User.objects.filter(username="ann").exists() and not DataExport.objects.exists()
    assert not exports_storage().exists(name)


def test_exports_are_throttled(person, settings):
    settings.REST_FRAMEWORK = settings.REST_FRAMEWORK | {
        "DEFAULT_THROTTLE_RATES": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] | {"export": "1/day"}
    }
    api = client_for(person)
    assert api.post("/api/v1/users/me/exports/").status_code == 202
    assert api.post("/api/v1/users/me/exports/").status_code == 429
    assert api.get("/api/v1/users/me/exports/").status_code == 200  # polling is not limited


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_live_worker_builds_the_export_the_api_started(start_worker, tmp_path):
    from tests.workers import wait_for

    ann = UserFactory(username="ann")
    photo = PhotoFactory(owner=ann, image=ContentFile(jpeg_bytes((120, 90), (10, 20, 200)), name="blue.jpg"))
    start_worker(cache_dir=settings.RECOGNITION_CACHE_DIR)
    api = client_for(ann)
    started = api.post("/api/v1/users/me/exports/")
    assert started.status_code == 202
    url = f"/api/v1/users/me/exports/{started.json()['id']}/"
    ready = wait_for(
        lambda: (body := api.get(url).json())["status"] == "ready" and body, timeout=120, what="export", logs=tmp_path
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(api.get(ready["download"]).streaming_content)))
    with photo.image.open("rb") as image:
        assert archive.read(f"photos/{photo.pk}.jpg") == image.read()
