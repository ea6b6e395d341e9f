"""In a real headless Chromium: a sensitive photo arrives blurred, and Show fetches the sharp copy only then."""

import pytest
from django.core.files.base import ContentFile

from photos.search.index import photo_search_document_refresh
from photos.sensitive.services import photo_sensitive_set
from tests.factories import PhotoFactory, PhotoTagFactory
from tests.helpers import jpeg_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_show_swaps_in_the_sharp_thumbnail_fetched_only_when_asked(browser_page, live_server):
    from playwright.sync_api import expect

    photo = PhotoFactory(caption="beach", thumbnail=ContentFile(jpeg_bytes((320, 320), (250, 200, 20)), name="t.jpg"))
    PhotoTagFactory(photo=photo, tag__name="beach")
    photo_search_document_refresh(photo.pk)
    photo_sensitive_set(photo=photo, sensitive=True)
    photo.refresh_from_db()
    page = browser_page
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))

    page.goto(f"{live_server.url}/search/?q=beach")
    expect(page.locator("img.blurred")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert not any(photo.thumbnail.url in url for url in fetched)  # the sharp copy was not sent
    page.get_by_role("button", name="Show sensitive photo").click()
    expect(page.locator(f'img[src="{photo.thumbnail.url}"]')).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert any(photo.thumbnail.url in url for url in fetched)
    expect(page.locator("img.blurred")).to_have_count(0)
