"""In a real headless Chromium: an owner sees the faces the worker found and blurs them; others get blurred copies."""

import io

import numpy as np
import pytest
from PIL import Image

from photos import services
from photos.faces.models import PhotoFaces
from socialsite.celery import app as celery_app
from tests.factories import UserFactory
from tests.helpers import processed, sample_upload
from tests.test_browser_people import log_in, shoot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=float)


@pytest.fixture
def eager_tasks():
    """Run the blur task where it is queued (after the request's commit), as a worker would, but here."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_the_owner_blurs_the_faces_and_visitors_get_only_the_blurred_copy(browser_page, live_server, eager_tasks):
    from playwright.sync_api import expect

    owner = UserFactory(username="eileen")
    photo = processed(services.photo_create(owner=owner, image=sample_upload("astronaut"), caption="Crew portrait"))
    sharp_url, sharp_thumb_url = photo.image.url, photo.thumbnail.url
    page = browser_page
    log_in(page, live_server.url, "eileen")
    page.goto(f"{live_server.url}/p/{photo.pk}/")
    expect(page.locator(".face-count")).to_have_text("1 face")
    sharp = page.request.get(f"{live_server.url}{sharp_url}").body()
    sharp_thumb = page.request.get(f"{live_server.url}{sharp_thumb_url}").body()

    page.get_by_role("button", name="Blur faces").click()
    expect(page.get_by_role("button", name="Unblur faces")).to_be_visible()
    page.reload()
    blurred_url = page.locator("figure img").get_attribute("src")
    assert blurred_url != sharp_url
    blurred = page.request.get(f"{live_server.url}{blurred_url}").body()
    before, after = _pixels(sharp), _pixels(blurred)
    left, top, right, bottom = PhotoFaces.objects.get(photo=photo).boxes[0]
    h, w = before.shape[:2]
    face = (slice(int(top * h), int(bottom * h)), slice(int(left * w), int(right * w)))
    assert np.abs(after[face] - before[face]).mean() > 8  # the face is blurred
    corner = (slice(int(0.85 * h), h), slice(int(0.8 * w), w))
    assert np.abs(after[corner] - before[corner]).mean() < 2  # the rest is as it was
    shoot(page, "faces-blurred")

    # A signed-in stranger, in a context of their own (not the owner's cookies), sees only blurred copies:
    # on the photo page, and in the owner's grid, whose thumbnail is the blurred one too.
    UserFactory(username="stranger")
    context = page.context.browser.new_context()
    stranger = context.new_page()
    stranger.set_default_timeout(15_000)
    log_in(stranger, live_server.url, "stranger")
    stranger.goto(f"{live_server.url}/p/{photo.pk}/")
    assert stranger.locator("figure img").get_attribute("src") == blurred_url
    expect(stranger.locator(".face-count")).to_have_count(0)  # the count is the owner's alone
    stranger.goto(f"{live_server.url}/u/eileen/")
    thumb_url = stranger.locator(f'a[href="/p/{photo.pk}/"] img').get_attribute("src")
    assert thumb_url != sharp_thumb_url
    thumb_before = _pixels(sharp_thumb)
    thumb_after = _pixels(stranger.request.get(f"{live_server.url}{thumb_url}").body())
    th, tw = thumb_before.shape[:2]  # the astronaut is square: the thumbnail keeps the relative boxes
    thumb_face = (slice(int(top * th), int(bottom * th)), slice(int(left * tw), int(right * tw)))
    assert np.abs(thumb_after[thumb_face] - thumb_before[thumb_face]).mean() > 8
    for old in (sharp_url, sharp_thumb_url):  # the sharp copies are not served
        assert stranger.request.get(f"{live_server.url}{old}").status == 404
    context.close()

    visitor = page.context.browser.new_page()
    visitor.goto(f"{live_server.url}/p/{photo.pk}/")
    assert visitor.locator("figure img").get_attribute("src") == blurred_url
    expect(visitor.locator(".face-count")).to_have_count(0)
    assert visitor.request.get(f"{live_server.url}{sharp_url}").status == 404
    visitor.close()
