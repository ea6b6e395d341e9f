"""Helpers the tests share: clients, real image bytes, recorded views, and the rule for missing services.

Plain functions, imported where used; fixtures stay in conftest.py.
"""

import io
import os
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from photos.models import PhotoView
from tests.factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def client_for(user) -> APIClient:
    """Return an API client signed in as ``user``."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def jpeg_bytes(size=(640, 480), color=(200, 30, 30), **save_kwargs) -> bytes:
    """Return a real JPEG image of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", **save_kwargs)
    return buffer.getvalue()


def sample_upload(name: str) -> io.BytesIO:
    """Return one of scikit-image's sample photos (``chelsea``, ``coffee``...) as a JPEG upload."""
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(getattr(data, name)()).save(buffer, "JPEG", quality=92)
    buffer.seek(0)
    return buffer


def processed(photo):
    """Run the worker's pass on ``photo`` as its task would (decode once, copies, real CNN); return it refreshed."""
    from photos.processing.services import photos_process

    photos_process(photo_ids=[photo.pk])
    photo.refresh_from_db()
    return photo


def view(user, *photos, days_ago: float = 0) -> None:
    """Record views as the site does, ``days_ago`` in the past."""
    at = timezone.now() - timedelta(days=days_ago)
    PhotoView.objects.bulk_create([PhotoView(user=user, photo=photo) for photo in photos])
    PhotoView.objects.filter(user=user, photo__in=photos).update(viewed_at=at)


def crowd(count: int, *photos) -> list:
    """Return ``count`` new people who each viewed all of ``photos``."""
    people = UserFactory.create_batch(count)
    for person in people:
        view(person, *photos, days_ago=1)
    return people


def service_required(name: str, reason: str):
    """Fail in CI, skip elsewhere: a missing service must never pass silently in CI."""
    if IN_CI:
        pytest.fail(f"{name} is required in CI: {reason}")
    pytest.skip(f"{name} not available: {reason}")
