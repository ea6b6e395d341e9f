"""A panorama uploaded for real: the worker's pass tags the subject at its side and says where it saw it."""

import io

import numpy as np
import pytest
from PIL import Image
from skimage import data

from photos import services as photo_services
from photos.models import Photo, PhotoTag
from recognition import tasks
from tests.helpers import processed

pytestmark = pytest.mark.django_db


def panorama_upload() -> io.BytesIO:
    """The left motorcycle of scikit-image's stereo pair at the left of a 3:1 frame, the rest plain."""
    subject = Image.fromarray(data.stereo_motorcycle()[0]).convert("RGB")
    width, height = subject.size
    grain = np.random.default_rng(1).normal(0, 8, size=(height, 3 * height, 3))
    mean = np.asarray(subject, dtype=np.float32).reshape(-1, 3).mean(axis=0)
    canvas = Image.fromarray(np.clip(mean + grain, 0, 255).astype(np.uint8))
    canvas.paste(subject, (0, 0))
    buffer = io.BytesIO()
    canvas.save(buffer, "JPEG", quality=90)
    buffer.seek(0)
    return buffer


def test_panorama_subject_at_the_side_is_tagged_with_views_and_sum_in_its_provenance(user):
    photo = processed(photo_services.photo_create(owner=user, image=panorama_upload()))
    assert photo.status == Photo.Status.TAGGED
    tags = {pt.tag.name: pt for pt in photo.photo_tags.filter(source=PhotoTag.Source.AUTO).select_related("tag")}
    motorcycle = tags["motorcycle"]
    first = motorcycle.classes[0]
    # Backward compatible: every entry still has name and score, highest first.
    assert all({"name", "score"} <= set(entry) for entry in motorcycle.classes)
    assert motorcycle.classes == sorted(motorcycle.classes, key=lambda c: -c["score"])
    # Extended: the view that earned it, the raw sum there, and every view looked at.
    assert first["view"].startswith("x1/") and {entry["view"] for entry in motorcycle.classes} == {first["view"]}
    assert first["sum"] >= sum(entry["score"] for entry in motorcycle.classes) - 0.01
    assert first["views"][0] == "centre" and first["view"] in first["views"] and len(first["views"]) >= 3
    assert motorcycle.rule == "tag:motorcycle" and 0.5 <= motorcycle.confidence <= 1.0

    # The explanation follows the view that earned the tag, drawn on the whole 3:1 photo: the heat
    # (the bright end of the ramp) lies in the left square, where the motorcycle is; the plain
    # right part of the frame (past the pasted photo, 741/500 of the height) shows only dimmed.
    assert tasks.explain_photo(photo.pk) == len(tags)
    motorcycle.refresh_from_db()
    with Image.open(motorcycle.explanation.path) as picture:
        assert picture.size == (336, 112)
        pixels = np.asarray(picture.convert("L"), dtype=np.float32)
    assert pixels[:, :112].max() > pixels[:, 180:].max() + 40
