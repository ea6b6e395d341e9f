"""Fixtures shared by the whole suite: media in a temp dir, factories, API clients, services."""

import io
import os

import pytest
from django.core.cache import cache
from PIL import Image
from rest_framework.test import APIClient

from tests.factories import PhotoFactory, UserFactory

pytest_plugins = ["tests.workers"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def empty_cache(settings):
    """Give each test an empty in-process cache: a view's dedupe key must not outlive its test."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def auth_api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def jpeg_bytes(size=(640, 480), color=(200, 30, 30), **save_kwargs) -> bytes:
    """Return a real JPEG image of one colour."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", **save_kwargs)
    return buffer.getvalue()


@pytest.fixture
def photo(db):
    return PhotoFactory()


def service_required(name: str, reason: str):
    """Fail in CI, skip elsewhere: a missing service must never pass silently in CI."""
    if IN_CI:
        pytest.fail(f"{name} is required in CI: {reason}")
    pytest.skip(f"{name} not available: {reason}")
