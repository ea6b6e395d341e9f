"""In a real headless Chromium: a photo the nudity detector marked comes blurred; its owner sees why, asks to unmark.

The detector's labels are set to a face class (as in tests/photos/sensitive/test_nudity.py), so a real
photo and the real model take the path an explicit photo would, with no explicit image anywhere.
"""

import pytest

from photos import services
from photos.moderation.models import ModerationCase
from tests.factories import UserFactory
from tests.helpers import processed, sample_upload
from tests.photos.sensitive.test_nudity import AS_IF_NUDE
from tests.test_browser_people import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_visitors_get_the_blurred_copy_and_the_owner_sees_why_and_asks_a_moderator(browser_page, live_server, settings):
    from playwright.sync_api import expect

    for name, value in AS_IF_NUDE.items():
        setattr(settings, name, value)
    owner = UserFactory(username="eileen")
    photo = processed(services.photo_create(owner=owner, image=sample_upload("astronaut"), caption="Portrait"))
    assert photo.is_sensitive
    page = browser_page
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{live_server.url}/u/eileen/")
    expect(page.locator("img.blurred")).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert not any(photo.thumbnail.url in url for url in fetched)  # the sharp copy was not sent
    shoot(page, "nudity-visitor-grid")

    log_in(page, live_server.url, "eileen")
    page.goto(f"{live_server.url}/p/{photo.pk}/")
    expect(page.locator("#nudity-mark")).to_contain_text("Marked sensitive by the nudity detector (0.7")
    page.get_by_role("button", name="Unmark sensitive").click()
    expect(page.get_by_text("a moderator will look at it before the mark goes")).to_be_visible()
    expect(page.locator("#sensitive-review")).to_have_text("Unmark asked: a moderator will look")
    shoot(page, "nudity-owner-review")
    photo.refresh_from_db()
    assert photo.is_sensitive and ModerationCase.objects.filter(photo=photo, status="open").exists()
