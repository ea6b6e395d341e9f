"""Fixtures shared by the whole suite: media in a temp dir, factories, API clients, services."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.browser import chromium
from tests.factories import PhotoFactory, UserFactory

pytest_plugins = ["tests.workers"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture(autouse=True)
def originals_root(settings, tmp_path):
    """Keep uploads' originals in the test's temp dir too, beside (never under) MEDIA_ROOT."""
    location = tmp_path / "originals"
    settings.STORAGES = settings.STORAGES | {
        "originals": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}}
    }
    return location


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path, originals_root):
    """Keep data exports in the test's temp dir, beside (never under) MEDIA_ROOT."""
    location = tmp_path / "exports"
    settings.STORAGES = settings.STORAGES | {
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}}
    }
    return location


@pytest.fixture(autouse=True)
def similar_index_dir(settings, tmp_path):
    """Build the similar-photos index in the test's temp dir; no process keeps another test's build."""
    from photos.similar import ann

    settings.SIMILAR_INDEX_DIR = tmp_path / "similar"
    ann.clear_cache()
    return settings.SIMILAR_INDEX_DIR


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


@pytest.fixture
def photo(db):
    return PhotoFactory()


@pytest.fixture
def browser_page():
    """A page in a headless Chromium (Debian's, driven by Playwright), 15 s timeouts."""
    with chromium() as browser:
        page = browser.new_page()
        page.set_default_timeout(15_000)
        yield page
