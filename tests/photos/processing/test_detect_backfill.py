"""manage.py detect: the face and nudity detectors look at photos processed before they existed."""

import io

import pytest
from django.core.management import CommandError, call_command

from photos import services
from photos.faces.models import PhotoFaces
from photos.sensitive.models import NudityCheck
from tests.helpers import processed, sample_upload
from tests.photos.sensitive.test_nudity import AS_IF_NUDE

pytestmark = pytest.mark.django_db


def _processed_without_detectors(settings, owner, name: str):
    settings.FACE_DETECTION, settings.NUDITY_DETECTION = False, False
    photo = processed(services.photo_create(owner=owner, image=sample_upload(name)))
    settings.FACE_DETECTION, settings.NUDITY_DETECTION = True, True
    assert not PhotoFaces.objects.filter(photo=photo).exists() and not NudityCheck.objects.filter(photo=photo).exists()
    return photo


def test_it_counts_faces_and_checks_nudity_on_real_photos_once(user, settings, django_capture_on_commit_callbacks):
    astronaut = _processed_without_detectors(settings, user, "astronaut")
    coffee = _processed_without_detectors(settings, user, "coffee")
    out, err = io.StringIO(), io.StringIO()
    call_command("detect", stdout=out, stderr=err)
    assert "Detectors looked at 2 of 2 photos." in out.getvalue() and "detectors: 100%" in err.getvalue()
    assert PhotoFaces.objects.get(photo=astronaut).count == 1 and PhotoFaces.objects.get(photo=coffee).count == 0
    check = NudityCheck.objects.get(photo=astronaut)
    assert [d["label"] for d in check.detections] == ["FACE_FEMALE"] and check.score == 0.0 and not check.marked
    assert NudityCheck.objects.get(photo=coffee).detections == []

    PhotoFaces.objects.filter(photo=coffee).update(count=5)  # what a detector stored is kept
    out = io.StringIO()
    call_command("detect", stdout=out, stderr=io.StringIO())
    assert "Detectors looked at 0 of 0 photos." in out.getvalue()
    assert PhotoFaces.objects.get(photo=coffee).count == 5


def test_a_first_look_marks_and_blurs_as_the_worker_would(user, settings, django_capture_on_commit_callbacks):
    astronaut = _processed_without_detectors(settings, user, "astronaut")
    PhotoFaces.objects.create(photo=astronaut, count=1, boxes=[[0.3, 0.1, 0.6, 0.4]], model="earlier")
    for name, value in AS_IF_NUDE.items():
        setattr(settings, name, value)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("detect", stdout=io.StringIO(), stderr=io.StringIO())
    astronaut.refresh_from_db()
    assert astronaut.is_sensitive and NudityCheck.objects.get(photo=astronaut).marked and astronaut.blurred_thumbnail
    assert PhotoFaces.objects.get(photo=astronaut).model == "earlier"  # only the missing look was taken


def test_it_works_in_batches_up_to_a_limit(user, settings, django_capture_on_commit_callbacks):
    astronaut, coffee, rocket = (
        _processed_without_detectors(settings, user, n) for n in ("astronaut", "coffee", "rocket")
    )
    settings.NUDITY_DETECTION = False  # faces only: the backfill of face counts
    out, err = io.StringIO(), io.StringIO()
    call_command("detect", "--batch-size", "1", "--limit", "2", stdout=out, stderr=err)
    assert "Detectors looked at 2 of 2 photos." in out.getvalue() and "2/2" in err.getvalue()
    counts = dict(PhotoFaces.objects.values_list("photo_id", "count"))
    assert counts == {astronaut.pk: 1, coffee.pk: 0}  # oldest first; the rocket waits for the next run
    assert not NudityCheck.objects.exists()

    out = io.StringIO()
    call_command("detect", "--batch-size", "2", stdout=out, stderr=io.StringIO())
    assert "Detectors looked at 1 of 1 photos." in out.getvalue()
    assert PhotoFaces.objects.get(photo=rocket).count == 0


@pytest.mark.parametrize("args", [["--batch-size", "0"], ["--limit", "-1"]])
def test_bad_arguments_are_refused_clearly(args):
    with pytest.raises(CommandError, match="--"):
        call_command("detect", *args, stdout=io.StringIO(), stderr=io.StringIO())
